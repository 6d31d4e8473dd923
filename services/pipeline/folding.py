"""Fold training-time batch normalisation (and parallel branches) into the convolutions.

BN after a convolution and before its ReLU is an affine map per output channel, so in
inference mode ``bn(conv(x)) == conv'(x)`` with rescaled kernels and shifted biases. We
train with BN (it trains this narrow network faster and better) and export the network of
DESIGN.md unchanged: same layers, same shapes, and no BN for a student to puzzle over.
The same holds for the RepVGG-style 1x1 and identity branches trained beside each conv
(see ``build_model(reparam=True)``): a 1x1 conv of the centre crop is a 3x3 valid conv
whose kernel is zero but at its centre, and the identity is the identity matrix there.
A BN between the flatten and the dense layer scales and shifts the dense layer's inputs:
``W (x * scale + shift) + b`` is the dense layer with rows of ``W`` scaled and ``W shift``
added to its bias.
"""

from __future__ import annotations

import keras
import numpy as np

from services.pipeline.architecture import Architecture, build_model


def _affine(bn: keras.layers.BatchNormalization) -> tuple[np.ndarray, np.ndarray]:
    """BN in inference as ``x * scale + shift``."""
    gamma, beta, mean, variance = bn.get_weights()
    scale = gamma / np.sqrt(variance + bn.epsilon)
    return scale, beta - mean * scale


def _layer(model: keras.Model, name: str) -> keras.layers.Layer | None:
    try:
        return model.get_layer(name)
    except ValueError:
        return None


def _folded_conv(trained: keras.Model, suffix: str) -> list[np.ndarray]:
    """One kernel and bias computing the conv ``suffix`` with all its training branches."""
    kernel, bias = trained.get_layer(f"conv_{suffix}").get_weights()
    bn = _layer(trained, f"bn_{suffix}")
    if bn is None:
        return [kernel, bias]
    scale, shift = _affine(bn)
    kernel, bias = kernel * scale, bias * scale + shift
    centre = (kernel.shape[0] // 2, kernel.shape[1] // 2)
    pointwise, pointwise_bn = (
        _layer(trained, f"pointwise_{suffix}"),
        _layer(trained, f"bn_pointwise_{suffix}"),
    )
    if pointwise is not None and pointwise_bn is not None:
        p_kernel, p_bias = pointwise.get_weights()
        scale, shift = _affine(pointwise_bn)
        kernel[centre] += p_kernel[0, 0] * scale
        bias = bias + p_bias * scale + shift
    identity_bn = _layer(trained, f"bn_identity_{suffix}")
    if identity_bn is not None:
        scale, shift = _affine(identity_bn)
        kernel[centre] += np.diag(scale)
        bias = bias + shift
    return [kernel.astype(np.float32), bias.astype(np.float32)]


def _folded_dense(trained: keras.Model, name: str) -> list[np.ndarray]:
    """The dense layer's kernel and bias with the BN on its inputs (if any) folded in."""
    kernel, bias = trained.get_layer(name).get_weights()
    bn = _layer(trained, "bn_flatten")
    if bn is None:
        return [kernel, bias]
    scale, shift = _affine(bn)
    folded_bias = bias + shift @ kernel
    return [(kernel * scale[:, None]).astype(np.float32), folded_bias.astype(np.float32)]


def fold_batch_norm(trained: keras.Model, arch: Architecture) -> keras.Model:
    """Return the plain model of ``arch`` computing what ``trained`` computes in inference."""
    plain = build_model(arch, batch_norm=False)
    for layer in plain.layers:
        if not layer.get_weights():
            continue
        if layer.name.startswith("conv_"):
            layer.set_weights(_folded_conv(trained, layer.name.removeprefix("conv_")))
        elif isinstance(layer, keras.layers.Dense):
            layer.set_weights(_folded_dense(trained, layer.name))
        else:
            layer.set_weights(trained.get_layer(layer.name).get_weights())
    return plain

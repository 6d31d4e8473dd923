"""Fold training-time batch normalisation into the convolutions it follows.

BN after a convolution and before its ReLU is an affine map per output channel, so in
inference mode ``bn(conv(x)) == conv'(x)`` with rescaled kernels and shifted biases. We
train with BN (it trains this narrow network faster and better) and export the network of
DESIGN.md unchanged: same layers, same shapes, and no BN for a student to puzzle over.
"""

from __future__ import annotations

import keras
import numpy as np

from services.pipeline.architecture import Architecture, build_model


def fold_batch_norm(trained: keras.Model, arch: Architecture) -> keras.Model:
    """Return the plain model of ``arch`` computing what ``trained`` computes in inference."""
    plain = build_model(arch, batch_norm=False)
    for layer in plain.layers:
        weights = trained.get_layer(layer.name).get_weights()
        if not weights:
            continue
        if layer.name.startswith("conv_"):
            kernel, bias = weights
            bn_name = "bn_" + layer.name.removeprefix("conv_")
            try:
                bn = trained.get_layer(bn_name)
            except ValueError:
                layer.set_weights([kernel, bias])
                continue
            gamma, beta, mean, variance = bn.get_weights()
            scale = gamma / np.sqrt(variance + bn.epsilon)
            layer.set_weights([kernel * scale, (bias - mean) * scale + beta])
        else:
            layer.set_weights(weights)
    return plain

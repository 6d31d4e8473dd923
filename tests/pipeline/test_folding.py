"""Folding trained batch normalisation changes the layers, not what the network computes."""

from __future__ import annotations

import numpy as np
import pytest

from services.pipeline.architecture import Architecture, build_model
from services.pipeline.folding import fold_batch_norm


@pytest.mark.parametrize(
    ("reparam", "dense_batch_norm"), [(False, False), (True, False), (False, True)]
)
def test_folded_model_computes_what_the_bn_model_computes(
    reparam: bool, dense_batch_norm: bool
) -> None:
    arch = Architecture(input_size=20, blocks=2, convs_per_block=2, filters=4, kernel_size=3)
    with_bn = build_model(
        arch, batch_norm=True, seed=3, reparam=reparam, dense_batch_norm=dense_batch_norm
    )
    assert any(layer.name.startswith("bn_identity_") for layer in with_bn.layers) == reparam
    assert any(layer.name == "bn_flatten" for layer in with_bn.layers) == dense_batch_norm
    rng = np.random.default_rng(0)
    for layer in with_bn.layers:
        if layer.name.startswith("pointwise_"):
            kernel, bias = layer.get_weights()
            layer.set_weights([rng.normal(0, 0.5, kernel.shape), rng.normal(0, 0.1, bias.shape)])
        if layer.name.startswith("bn_"):
            channels = layer.get_weights()[0].shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 2.0, channels),  # gamma
                    rng.normal(0, 0.5, channels),  # beta
                    rng.normal(0, 0.3, channels),  # moving mean
                    rng.uniform(0.2, 3.0, channels),  # moving variance
                ]
            )
    folded = fold_batch_norm(with_bn, arch)
    assert not any(layer.name.startswith("bn_") for layer in folded.layers)
    assert [layer.name for layer in folded.layers] == [
        layer.name for layer in build_model(arch).layers
    ]
    inputs = rng.uniform(0, 1, (8, 20, 20, 3)).astype(np.float32)
    expected = with_bn(inputs, training=False).numpy()
    actual = folded(inputs, training=False).numpy()
    assert np.abs(expected - actual).max() < 1e-5
    assert np.abs(expected - build_model(arch, seed=3)(inputs).numpy()).max() > 1e-3

"""Pieces of the training recipe that are checked on their own."""

from __future__ import annotations

import keras
import numpy as np

from services.pipeline.architecture import Architecture, build_model
from services.pipeline.training import Recipe, augment_batch, recompute_batch_norm


def test_recomputed_batch_norm_statistics_are_exact() -> None:
    arch = Architecture(input_size=16, blocks=1, convs_per_block=2, filters=3, kernel_size=3)
    model = build_model(arch, batch_norm=True, seed=4)
    pixels = np.random.default_rng(0).integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)
    recompute_batch_norm(model, pixels, batch_size=7)
    scaled = pixels.astype(np.float32) / np.float32(255)
    for name in ("bn_1_1", "bn_1_2"):
        layer = model.get_layer(name)
        inputs = np.asarray(keras.Model(model.inputs, layer.input)(scaled, training=False))
        flat = inputs.reshape(-1, inputs.shape[-1]).astype(np.float64)
        _, _, mean, variance = layer.get_weights()
        assert np.allclose(mean, flat.mean(axis=0), atol=1e-5)
        assert np.allclose(variance, flat.var(axis=0), rtol=1e-4, atol=1e-6)


def test_augmentation_keeps_shape_range_and_labels() -> None:
    images = np.random.default_rng(1).integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    labels = np.arange(8) % 10
    x, y = augment_batch(images, Recipe(), 10, labels)
    x = np.asarray(x)
    assert x.shape == (8, 64, 64, 3)
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert np.array_equal(np.argmax(np.asarray(y), axis=1), labels)
    assert not np.allclose(x, images / 255.0)  # something was changed

"""Rebuild the converted steps as a Keras model, and prove it computes what the upload does.

Every rewrite the conversion makes is meant to be exact; running the rebuilt network next
to Keras's own load of the upload catches the one that is not before anything is exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from services.pipeline.import_conversion import Conversion, Step
from services.pipeline.import_formats import ImportRejected, SourceModel

__all__ = ["build_keras", "check_reproduces"]


def build_keras(steps: Sequence[Step], size: int) -> Any:
    """The steps as a Keras model with their weights, ready for ``export_model``."""
    import keras

    inputs = keras.Input((size, size, 3), name="input")
    x = inputs
    weighted: list[tuple[Any, Step]] = []
    for step in steps:
        layer: Any
        if step.kind == "conv":
            c = step.config
            layer = keras.layers.Conv2D(
                c["filters"],
                c["kernel_size"],
                strides=c["strides"],
                padding=c["padding"],
                name=step.name,
            )
        elif step.kind == "relu":
            layer = keras.layers.ReLU(name=step.name)
        elif step.kind == "max_pool":
            layer = keras.layers.MaxPooling2D(
                step.config["pool_size"], strides=step.config["strides"], name=step.name
            )
        elif step.kind == "flatten":
            layer = keras.layers.Flatten(name=step.name)
        elif step.kind == "dense":
            layer = keras.layers.Dense(step.config["units"], name=step.name)
        else:
            layer = keras.layers.Softmax(name=step.name)
        x = layer(x)
        if step.kernel is not None:
            weighted.append((layer, step))
    model = keras.Model(inputs, x, name="imported")
    for layer, step in weighted:
        layer.set_weights([step.kernel, step.bias])
    return model


def check_reproduces(source: SourceModel, conversion: Conversion, model: Any, size: int) -> None:
    """Where Keras loaded the source, the rebuilt network must compute what it computes."""
    if source.reference is None:
        return
    probe = np.random.default_rng(0).random((2, size, size, 3), dtype=np.float32)
    expected = np.asarray(
        source.reference(probe * 255 if conversion.rescale_255 else probe, training=False)
    )
    if conversion.steps[-1].name not in {e["output"] for e in conversion.layer_map}:
        shifted = np.exp(expected - expected.max(axis=-1, keepdims=True))
        expected = shifted / shifted.sum(axis=-1, keepdims=True)  # the softmax we added
    ours = np.asarray(model(probe, training=False))
    if ours.shape != expected.shape or not np.allclose(ours, expected, atol=1e-4, rtol=1e-3):
        raise ImportRejected(
            "The converted model does not compute what the uploaded one computes (largest "
            f"difference {float(np.max(np.abs(ours - expected))):.2g}); it was not imported."
        )

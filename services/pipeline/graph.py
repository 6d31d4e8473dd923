"""Describe a trained Keras CNN as the layer graph the views are drawn from.

Layer types are read from the Keras layer classes, never guessed from layer names (one of
CNN Explainer's faults), so any linear conv / relu / max-pool / flatten / dense network is
described the same way. Each layer also gets the *unit* and *module* it belongs to, the two
narrower scopes of the overview's colour scale: a unit is a conv, pool, flatten or dense
layer together with the activation that follows it; a module is everything up to and
including a max-pool (a VGG block), and the classifier after the last one.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

LAYER_TYPES: tuple[tuple[type[Any], str], ...] = (
    (keras.layers.InputLayer, "input"),
    (keras.layers.Conv2D, "conv"),
    (keras.layers.ReLU, "relu"),
    (keras.layers.MaxPooling2D, "max_pool"),
    (keras.layers.Flatten, "flatten"),
    (keras.layers.Dense, "dense"),
    (keras.layers.Softmax, "softmax"),
)
ACTIVATION_TYPES = frozenset({"relu", "softmax"})


class UnsupportedLayerError(ValueError):
    """The network holds a layer the views cannot show."""


def layer_type(layer: keras.layers.Layer) -> str:
    """The view type of a Keras layer (``conv``, ``relu``, ...)."""
    for keras_class, name in LAYER_TYPES:
        if isinstance(layer, keras_class):
            if name == "conv" and layer.get_config().get("activation") not in (None, "linear"):
                raise UnsupportedLayerError(
                    f"Layer {layer.name!r}: convolutions must be linear, with a separate ReLU."
                )
            return name
    raise UnsupportedLayerError(
        f"Layer {layer.name!r} of type {type(layer).__name__} is not one of "
        "conv, relu, max-pool, flatten, dense, softmax."
    )


def _pair(value: Any) -> list[int]:
    if isinstance(value, int):
        return [value, value]
    return [int(item) for item in value]


def describe_layers(model: keras.Model) -> list[dict[str, Any]]:
    """One entry per layer, input first, in the order data flows."""
    described: list[dict[str, Any]] = []
    module_index = 1
    unit = "input"
    previous: str | None = None
    for layer in model.layers:
        kind = layer_type(layer)
        shape = [int(d) for d in (layer.output.shape[1:])]
        if kind == "input":
            module, unit = "input", "input"
        else:
            module = (
                f"block_{module_index}" if kind in {"conv", "relu", "max_pool"} else "classifier"
            )
            if kind not in ACTIVATION_TYPES:
                unit = layer.name
        entry: dict[str, Any] = {
            "name": layer.name,
            "type": kind,
            "output_shape": shape,
            "input": previous,
            "unit": unit,
            "module": module,
        }
        config = layer.get_config()
        if kind == "conv":
            entry.update(
                kernel_size=_pair(config["kernel_size"]),
                stride=_pair(config["strides"]),
                padding=config["padding"],
                filters=int(config["filters"]),
            )
        elif kind == "max_pool":
            entry.update(
                kernel_size=_pair(config["pool_size"]),
                stride=_pair(config["strides"] or config["pool_size"]),
                padding=config["padding"],
            )
            module_index += 1
        elif kind == "dense":
            entry.update(units=int(config["units"]))
        described.append(entry)
        previous = layer.name
    return described


def layer_weights(model: keras.Model) -> list[tuple[str, str, np.ndarray]]:
    """``(layer, "kernel" | "bias", float32 array)`` for every layer that has weights."""
    weights: list[tuple[str, str, np.ndarray]] = []
    for layer in model.layers:
        values = layer.get_weights()
        if not values:
            continue
        kernel, bias = values
        weights.append((layer.name, "kernel", np.asarray(kernel, dtype=np.float32)))
        weights.append((layer.name, "bias", np.asarray(bias, dtype=np.float32)))
    return weights

"""Read an uploaded model's weights: Keras loads a ``.keras`` or ``.h5`` file (after its
metadata passed services/pipeline/import_formats.py and import_limits.py), and a
TensorFlow.js model's shards are cut into tensors by its checked manifest.

Kept apart from the metadata checks so the studio can run those at upload time without
Keras (services/pipeline/import_checks.py).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from services.pipeline.import_formats import (
    ImportRejected,
    SourceLayer,
    SourceModel,
    h5_config,
    keras_archive_config,
    tfjs_config,
    variable_role,
)


def load_keras_weights(path: Path, layers: list[SourceLayer]) -> Any:
    """Fill in the weights of a checked config by letting Keras load the file safely."""
    import keras

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # a damaged file fails in many ways inside Keras/h5py
        raise ImportRejected(f"Keras could not load the model file: {error}".strip()) from None
    for layer in layers:
        try:
            loaded = model.get_layer(layer.name)
        except ValueError:
            continue
        layer.weights = {
            variable_role(v.path if hasattr(v, "path") else v.name): np.asarray(v.numpy())
            for v in loaded.weights
        }
    return model


def read_keras_archive(data: bytes, filename: str) -> SourceModel:
    """A Keras 3 ``.keras`` file."""
    input_shape, layers = keras_archive_config(data, filename)
    with tempfile.TemporaryDirectory(prefix="cnn101-import-") as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        reference = load_keras_weights(path, layers)
    return SourceModel("keras", input_shape, layers, reference)


def read_h5(data: bytes, filename: str) -> SourceModel:
    """A legacy Keras ``.h5`` file (whole model: config and weights)."""
    input_shape, layers = h5_config(data, filename)
    with tempfile.TemporaryDirectory(prefix="cnn101-import-") as folder:
        path = Path(folder) / "model.h5"
        path.write_bytes(data)
        reference = load_keras_weights(path, layers)
    return SourceModel("h5", input_shape, layers, reference)


def read_tfjs(files: Mapping[str, bytes], json_name: str) -> SourceModel:
    """A TensorFlow.js layers model: ``model.json`` and the weight shards it names."""
    input_shape, layers, groups = tfjs_config(files, json_name)
    available = {Path(name).name: content for name, content in files.items()}
    weights: dict[str, np.ndarray] = {}
    for paths, tensors in groups:
        buffer = b"".join(available[path] for path in paths)
        for tensor in tensors:
            weights[tensor.name] = np.frombuffer(
                buffer, dtype=tensor.dtype, count=tensor.count, offset=tensor.offset
            ).reshape(tensor.shape)
    by_layer = {layer.name: layer for layer in layers}
    for full_name, values in weights.items():
        parts = full_name.split("/")
        if len(parts) >= 2 and parts[-2] in by_layer:
            by_layer[parts[-2]].weights[variable_role(parts[-1])] = values
    return SourceModel("tfjs", input_shape, layers)

"""Importing a teacher's Keras / TensorFlow.js CNN: the conversion is exact.

Every model here is built by the test with Keras, saved by Keras itself (``.keras``, ``.h5``)
or written in the TensorFlow.js layers format the way its converter does (model.json plus
weight shards that cut through tensors). The exported SavedModel's activations must equal
the source model's own layer outputs. The builders of these models are imported by the
refusal and CLI tests here and by tests/serving/test_imported_model_e2e.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from services.pipeline.bundle import ModelBundle
from services.pipeline.import_formats import chain_from_config
from services.pipeline.importing import CARD_PATH, ImportRejected, import_model

CLASSES = ["cat", "dog", "fox", "owl", "bee", "ant", "elk"]


def build_source(size: int = 32, seed: int = 4) -> keras.Model:
    """A linear CNN as a teacher might write it: fused relu, same padding, stride 2, BN."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_a")(inputs)
    x = keras.layers.Conv2D(5, 3, name="conv_b")(x)
    x = keras.layers.BatchNormalization(name="bn_b")(x)
    x = keras.layers.Activation("relu", name="act_b")(x)
    x = keras.layers.MaxPooling2D(2, name="pool_b")(x)
    x = keras.layers.Conv2D(6, 3, strides=2, padding="same", name="conv_c")(x)
    x = keras.layers.ReLU(name="relu_c")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool_c")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dropout(0.3, name="drop")(x)
    outputs = keras.layers.Dense(len(CLASSES), activation="softmax", name="scores")(x)
    model = keras.Model(inputs, outputs, name="teacher_cnn")
    rng = np.random.default_rng(seed)
    model.get_layer("bn_b").set_weights(
        [
            rng.uniform(0.5, 1.5, 5),
            rng.normal(0, 0.2, 5),
            rng.normal(0, 0.2, 5),
            rng.uniform(0.5, 2, 5),
        ]
    )
    return model


def source_outputs(model: keras.Model, images: np.ndarray) -> dict[str, np.ndarray]:
    """Every layer's own output in the source model, by source layer name."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    outputs = probe.predict(images, verbose=0)
    return {layer.name: np.asarray(out) for layer, out in zip(layers, outputs, strict=True)}


def assert_same_activations(
    summary: dict[str, Any], ours: dict[str, np.ndarray], source: dict[str, np.ndarray]
) -> int:
    """Compare each source layer with what it became; return how many layers were compared."""
    compared = 0
    for entry in summary["layer_map"]:
        if entry["source"] not in source:
            continue  # the input layer
        if entry["output"] is None:  # folded: its BN-normalised value is the next entry's
            continue
        np.testing.assert_allclose(
            ours[entry["output"]], source[entry["source"]], atol=1e-5, err_msg=entry["source"]
        )
        became = entry["became"]
        if len(became) == 2:  # a fused activation split off: the linear part feeds it
            linear, activation = ours[became[0]], ours[became[1]]
            if activation.ndim == 2 and entry["class_name"] == "Dense":
                exp = np.exp(linear - linear.max(axis=-1, keepdims=True))
                np.testing.assert_allclose(activation, exp / exp.sum(-1, keepdims=True), atol=1e-6)
            else:
                np.testing.assert_allclose(activation, np.maximum(linear, 0), atol=1e-6)
        compared += 1
    return compared


def images(size: int, count: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((count, size, size, 3), dtype=np.float32)


def keras_bytes(model: keras.Model, tmp_path: Path, suffix: str) -> bytes:
    path = tmp_path / f"source{suffix}"
    model.save(path)
    return path.read_bytes()


# --- TensorFlow.js layers format, written the way tensorflowjs_converter writes it ---


def _keras2_layer(layer: keras.layers.Layer) -> dict[str, Any]:
    """A layer as Keras 2 / TF.js serialise it (``batch_input_shape``, plain activations)."""
    config = layer.get_config()
    if isinstance(layer, keras.layers.InputLayer):
        shape = config.pop("batch_shape")
        config = {
            "batch_input_shape": shape,
            "dtype": "float32",
            "sparse": False,
            "name": layer.name,
        }
    keep = {
        "name", "trainable", "batch_input_shape", "dtype", "sparse", "filters", "kernel_size",
        "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias", "units",
        "pool_size", "rate", "axis", "epsilon", "center", "scale", "max_value",
        "negative_slope", "threshold",
    }  # fmt: skip
    config = {k: v for k, v in config.items() if k in keep}
    if "dtype" in config and not isinstance(config["dtype"], str):
        config["dtype"] = "float32"
    return {"class_name": type(layer).__name__, "config": config}


def tfjs_files(
    model: keras.Model, shards: int = 2, names: list[str] | None = None
) -> dict[str, bytes]:
    """``model.json`` (Sequential topology, Keras 2 style) plus weight shards cut mid-tensor."""
    specs: list[dict[str, Any]] = []
    buffer = io.BytesIO()
    for layer in model.layers:
        for variable in layer.weights:
            role = variable.path.split("/")[-1]
            values = np.asarray(variable.numpy(), dtype="<f4")
            specs.append(
                {"name": f"{layer.name}/{role}", "shape": list(values.shape), "dtype": "float32"}
            )
            buffer.write(values.tobytes())
    data = buffer.getvalue()
    cut = [len(data) * i // shards + (3 if 0 < i < shards else 0) for i in range(shards + 1)]
    paths = [f"group1-shard{i + 1}of{shards}.bin" for i in range(shards)]
    layers = [_keras2_layer(layer) for layer in model.layers]
    layers[0]["config"]["batch_input_shape"] = [None, *model.input_shape[1:]]
    topology = {
        "keras_version": "2.15.0",
        "backend": "tensorflow",
        "model_config": {
            "class_name": "Sequential",
            "config": {"name": model.name, "layers": layers},
        },
    }
    document = {
        "format": "layers-model",
        "generatedBy": "keras v2.15.0",
        "convertedBy": "TensorFlow.js Converter v4.22.0",
        "modelTopology": topology,
        "weightsManifest": [{"paths": paths, "weights": specs}],
    }
    files = {"model.json": json.dumps(document).encode()}
    for i, path in enumerate(paths):
        files[path] = data[cut[i] : cut[i + 1]]
    if names is not None:
        files["labels.txt"] = "".join(f"{n}\n" for n in names).encode()
    return files


def build_sequential(size: int = 48, seed: int = 5) -> keras.Model:
    """A Sequential CNN for the TF.js format (which stores a Sequential topology)."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((size, size, 3), name="pixels"),
            keras.layers.Conv2D(6, 5, padding="same", activation="relu", name="conv2d"),
            keras.layers.MaxPooling2D(2, name="max_pooling2d"),
            keras.layers.Conv2D(8, 3, name="conv2d_1"),
            keras.layers.Activation("relu", name="activation"),
            keras.layers.MaxPooling2D(2, name="max_pooling2d_1"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(len(CLASSES), name="dense"),
        ],
        name="sequential",
    )


# --- the tests ---


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_model_imports_exactly(tmp_path: Path, suffix: str) -> None:
    source = build_source()
    version_dir = import_model(
        {f"teacher{suffix}": keras_bytes(source, tmp_path, suffix)},
        base_path=tmp_path / "models",
        name="teacher",
        class_names=CLASSES,
        title="Teacher's CNN",
    )
    assert version_dir == tmp_path / "models" / "teacher" / "1"
    bundle = ModelBundle.open(version_dir)
    description = bundle.description
    assert [c.name for c in bundle.classes] == CLASSES
    assert [c.wnid for c in bundle.classes] == CLASSES
    assert (version_dir / "assets.extra" / "labels.txt").read_text().split("\n")[:-1] == CLASSES
    types = [layer["type"] for layer in description["layers"]]
    assert types == [
        "input", "conv", "relu", "conv", "relu", "max_pool", "conv", "relu", "max_pool",
        "flatten", "dense", "softmax",
    ]  # fmt: skip
    conv_a, conv_c = description["layers"][1], description["layers"][6]
    assert (conv_a["padding"], conv_a["stride"], conv_a["output_shape"]) == (
        "same",
        [1, 1],
        [32, 32, 4],
    )
    assert (conv_c["padding"], conv_c["stride"], conv_c["output_shape"]) == (
        "same",
        [2, 2],
        [8, 8, 6],
    )
    pool_c = description["layers"][8]
    assert (pool_c["kernel_size"], pool_c["stride"], pool_c["output_shape"]) == (
        [3, 3],
        [2, 2],
        [3, 3, 6],
    )
    summary = description["training"]
    assert summary["source_format"] == suffix.strip(".").replace("keras", "keras")
    assert summary["title"] == "Teacher's CNN"
    assert [s["name"] for s in summary["source_layers"]][:3] == ["image", "conv_a", "conv_b"]
    notes = " ".join(summary["notes"])
    assert "bn_b: folded into 'conv_b'" in notes and "conv_a: its fused relu" in notes
    card = (version_dir / CARD_PATH).read_text()
    assert "imported" in card and "| bn_b | BatchNormalization | conv_b |" in card

    batch = images(32)
    ours = bundle.activations(batch)
    compared = assert_same_activations(summary, ours, source_outputs(source, batch))
    assert compared == 10  # every source layer but the input and the folded conv_b
    np.testing.assert_allclose(
        bundle.probabilities(batch), source.predict(batch, verbose=0), atol=1e-5
    )


def test_tfjs_layers_model_imports_exactly(tmp_path: Path) -> None:
    source = build_sequential()
    files = tfjs_files(source, names=CLASSES)
    assert len(files["group1-shard1of2.bin"]) % 4 != 0  # a tensor is cut between two shards
    version_dir = import_model(files, base_path=tmp_path / "models", name="tfjs-cnn")
    bundle = ModelBundle.open(version_dir)
    assert [c.name for c in bundle.classes] == CLASSES  # from labels.txt in the upload
    summary = bundle.description["training"]
    assert summary["source_format"] == "tfjs"
    assert "no softmax: one was added" in " ".join(summary["notes"])
    assert [layer["type"] for layer in bundle.description["layers"]][-2:] == ["dense", "softmax"]
    batch = images(48, seed=1)
    ours = bundle.activations(batch)
    assert assert_same_activations(summary, ours, source_outputs(source, batch)) == 7
    logits = source.predict(batch, verbose=0)
    exp = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(
        bundle.probabilities(batch), exp / exp.sum(-1, keepdims=True), atol=1e-6
    )


def test_default_class_names_and_next_version(tmp_path: Path) -> None:
    source = build_sequential(size=16)
    files = tfjs_files(source, shards=3)
    first = import_model(files, base_path=tmp_path, name="small")
    second = import_model(files, base_path=tmp_path, name="small")
    assert (first.name, second.name) == ("1", "2")
    assert [c.name for c in ModelBundle.open(first).classes] == [f"class_{i}" for i in range(1, 8)]


def test_rescaling_by_one_255th_is_dropped_exactly(tmp_path: Path) -> None:
    keras.utils.set_random_seed(2)
    source = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Rescaling(1 / 255, name="scale"),
            keras.layers.Conv2D(3, 3, activation="relu", name="conv"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(2, activation="softmax", name="out"),
        ]
    )
    version_dir = import_model(
        {"m.keras": keras_bytes(source, tmp_path, ".keras")}, base_path=tmp_path, name="scaled"
    )
    bundle = ModelBundle.open(version_dir)
    batch = images(16)
    np.testing.assert_allclose(
        bundle.probabilities(batch), source.predict(batch * 255, verbose=0), atol=1e-5
    )
    assert bundle.description["training"]["input_scale_255"] is True


def test_same_pooling_that_adds_no_padding_is_shown_as_valid(tmp_path: Path) -> None:
    keras.utils.set_random_seed(3)
    source = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3, padding="same", use_bias=False, name="conv"),
            keras.layers.MaxPooling2D(2, padding="same", name="pool"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(3, name="out"),
        ]
    )
    version_dir = import_model(
        {"m.keras": keras_bytes(source, tmp_path, ".keras")}, base_path=tmp_path, name="pools"
    )
    bundle = ModelBundle.open(version_dir)
    pool = next(layer for layer in bundle.description["layers"] if layer["type"] == "max_pool")
    assert (pool["padding"], pool["output_shape"]) == ("valid", [8, 8, 4])
    batch = images(16)
    ours = bundle.activations(batch)
    assert (
        assert_same_activations(bundle.description["training"], ours, source_outputs(source, batch))
        == 4
    )
    np.testing.assert_array_equal(bundle.weights()[("conv", "bias")], np.zeros(4, np.float32))


def _keras2_functional(output: str, *links: tuple[str, str, str | None]) -> dict[str, Any]:
    """A Keras 2 Functional config: (name, class, inbound layer) with nested-list nodes."""
    layers = [
        {
            "name": name,
            "class_name": class_name,
            "config": {"name": name, "batch_input_shape": [None, 8, 8, 3]}
            if class_name == "InputLayer"
            else {"name": name},
            "inbound_nodes": [[[source, 0, 0, {}]]] if source else [],
        }
        for name, class_name, source in links
    ]
    return {
        "class_name": "Functional",
        "config": {"layers": layers, "output_layers": [[output, 0, 0]]},
    }


def test_keras2_functional_configs_are_read_in_data_flow_order() -> None:
    config = _keras2_functional(
        "out",
        ("flat", "Flatten", "conv"),
        ("in", "InputLayer", None),
        ("out", "Dense", "flat"),
        ("conv", "Conv2D", "in"),
    )
    shape, layers = chain_from_config(config)
    assert shape == [8, 8, 3]
    assert [layer.name for layer in layers] == ["in", "conv", "flat", "out"]
    branchy = _keras2_functional(
        "a", ("in", "InputLayer", None), ("a", "Conv2D", "in"), ("b", "Conv2D", "in")
    )
    with pytest.raises(ImportRejected, match="output of layer 'in' feeds 2 layers"):
        chain_from_config(branchy)

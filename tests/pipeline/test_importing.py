"""Importing a teacher's Keras / TensorFlow.js CNN: exact conversion, or a refusal that names why.

Every model here is built by the test with Keras, saved by Keras itself (``.keras``, ``.h5``)
or written in the TensorFlow.js layers format the way its converter does (model.json plus
weight shards that cut through tensors). The exported SavedModel's activations must equal
the source model's own layer outputs.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from services.pipeline.bundle import ModelBundle
from services.pipeline.cli import EXIT_USER_ERROR, main
from services.pipeline.import_formats import chain_from_config
from services.pipeline.importing import (
    CARD_PATH,
    MAX_UPLOAD_BYTES,
    ImportRejected,
    import_model,
)

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


# --- refusals: each names what is wrong, and nothing is written ---


def _sequential(
    *layers: keras.layers.Layer, shape: tuple[int, int, int] = (16, 16, 3)
) -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input(shape), *layers])


def _tail(classes: int = 7) -> list[keras.layers.Layer]:
    return [keras.layers.Flatten(), keras.layers.Dense(classes, activation="softmax")]


def _branchy() -> keras.Model:
    inputs = keras.Input((16, 16, 3))
    a = keras.layers.Conv2D(4, 3, padding="same", name="left")(inputs)
    b = keras.layers.Conv2D(4, 1, name="right")(inputs)
    x = keras.layers.Add(name="merge")([a, b])
    return keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(x)))


def _branch_by_reuse() -> keras.Model:
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, name="trunk")(inputs)
    left = keras.layers.ReLU(name="left")(x)
    right = keras.layers.MaxPooling2D(name="right")(x)
    return keras.Model(inputs, [left, right])


REFUSED_MODELS: dict[str, tuple[Callable[[], keras.Model], str]] = {
    "batch norm after relu": (
        lambda: _sequential(
            keras.layers.Conv2D(4, 3, activation="relu", name="c"),
            keras.layers.BatchNormalization(name="late_bn"),
            *_tail(),
        ),
        "BatchNormalization 'late_bn' does not follow a linear Conv2D",
    ),
    "lambda": (
        lambda: _sequential(
            keras.layers.Conv2D(4, 3, name="c"),
            keras.layers.Lambda(lambda t: t * 2, name="doubler"),
            *_tail(),
        ),
        "Layer 'doubler' is a Lambda layer",
    ),
    "branches": (_branchy, "'merge' merges 2 inputs"),
    "two outputs": (_branch_by_reuse, "output of layer 'trunk' feeds 2 layers"),
    "non-square input": (
        lambda: _sequential(keras.layers.Conv2D(4, 3), *_tail(), shape=(16, 24, 3)),
        "16x24, not square",
    ),
    "grey input": (
        lambda: _sequential(keras.layers.Conv2D(4, 3), *_tail(), shape=(16, 16, 1)),
        "1-channel input",
    ),
    "sigmoid": (
        lambda: _sequential(keras.layers.Conv2D(4, 3, activation="sigmoid", name="sig"), *_tail()),
        "Layer 'sig' uses the activation 'sigmoid'",
    ),
    "dilated": (
        lambda: _sequential(keras.layers.Conv2D(4, 3, dilation_rate=2, name="wide"), *_tail()),
        "Conv2D 'wide' is dilated",
    ),
    "unsupported layer": (
        lambda: _sequential(
            keras.layers.Conv2D(4, 3),
            keras.layers.GlobalAveragePooling2D(name="gap"),
            keras.layers.Dense(7),
        ),
        "Layer 'gap' of type GlobalAveragePooling2D is not supported",
    ),
    "pooling that pads": (
        lambda: _sequential(
            keras.layers.Conv2D(4, 2),
            keras.layers.MaxPooling2D(2, padding="same", name="odd_pool"),
            *_tail(),
        ),
        "MaxPooling2D 'odd_pool' pads its 15x15 input",
    ),
    "two dense layers": (
        lambda: _sequential(
            keras.layers.Conv2D(4, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(16, name="hidden"),
            keras.layers.Dense(7, name="last"),
        ),
        "Dense 'last' is a second dense layer",
    ),
    "hidden dense with relu": (
        lambda: _sequential(
            keras.layers.Conv2D(4, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(7),
        ),
        "Dense 'hidden' ends in a ReLU, so it is a hidden layer",
    ),
    "rescaling to [-1, 1]": (
        lambda: _sequential(
            keras.layers.Rescaling(1 / 127.5, offset=-1, name="norm"),
            keras.layers.Conv2D(4, 3),
            *_tail(),
        ),
        "Rescaling 'norm'",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED_MODELS))
def test_unsupported_keras_models_are_refused_by_name(tmp_path: Path, case: str) -> None:
    build, message = REFUSED_MODELS[case]
    data = keras_bytes(build(), tmp_path, ".keras")
    with pytest.raises(ImportRejected, match=message):
        import_model({"model.keras": data}, base_path=tmp_path / "models", name="bad")
    assert not (tmp_path / "models" / "bad").exists() or not any(
        (tmp_path / "models" / "bad").iterdir()
    )


def test_lambda_in_h5_is_refused_before_keras_loads_it(tmp_path: Path) -> None:
    build, message = REFUSED_MODELS["lambda"]
    with pytest.raises(ImportRejected, match=message):
        import_model(
            {"model.h5": keras_bytes(build(), tmp_path, ".h5")}, base_path=tmp_path, name="bad"
        )


def test_custom_code_in_a_config_is_refused_before_keras_loads_it(tmp_path: Path) -> None:
    """A config naming a function outside Keras never reaches ``load_model``."""
    good = keras_bytes(build_source(), tmp_path, ".keras")
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(parts["config.json"])
    config["config"]["layers"][1]["config"]["activation"] = {
        "module": "os",
        "class_name": "function",
        "config": "system",
        "registered_name": "function",
    }
    parts["config.json"] = json.dumps(config).encode()
    tampered = io.BytesIO()
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    with pytest.raises(ImportRejected, match="Layer 'conv_a' refers to custom code"):
        import_model({"m.keras": tampered.getvalue()}, base_path=tmp_path, name="evil")


def test_wrong_number_of_class_names(tmp_path: Path) -> None:
    data = keras_bytes(build_source(), tmp_path, ".keras")
    with pytest.raises(
        ImportRejected, match="3 class names were given, but the model's output layer has 7 units"
    ):
        import_model(
            {"m.keras": data}, base_path=tmp_path / "m", name="m", class_names=["a", "b", "c"]
        )
    assert not (tmp_path / "m" / "m").exists() or not any((tmp_path / "m" / "m").iterdir())


def test_broken_files_are_refused(tmp_path: Path) -> None:
    base = tmp_path / "models"
    random_bytes = np.random.default_rng(0).bytes(5000)
    good = keras_bytes(build_source(), tmp_path, ".keras")
    no_config = io.BytesIO()
    with zipfile.ZipFile(no_config, "w") as archive:
        archive.writestr("metadata.json", "{}")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", bytes(201 * 2**20))
    cases = {
        "bomb.keras": (bomb.getvalue(), "unpacks to 201 MB; at most 200 MB are allowed"),
        "model.keras": (random_bytes, "not a Keras archive"),
        "truncated.keras": (good[: len(good) // 2], "not a Keras archive|truncated|damaged"),
        "empty.keras": (no_config.getvalue(), "has no config.json"),
        "model.h5": (random_bytes, "not a readable HDF5 file"),
        "notes.pdf": (b"%PDF-1.4", "Upload a Keras model"),
        "huge.keras": (bytes(MAX_UPLOAD_BYTES + 1), "at most 50 MB allowed"),
    }
    for filename, (data, message) in cases.items():
        with pytest.raises(ImportRejected, match=message):
            import_model({filename: data}, base_path=base, name="broken")
    with pytest.raises(ImportRejected, match="Model name"):
        import_model({"m.keras": good}, base_path=base, name="../escape")
    assert not base.exists() or not any(base.rglob("saved_model.pb"))


def test_broken_tfjs_models_are_refused(tmp_path: Path) -> None:
    files = tfjs_files(build_sequential(size=16))
    missing = {k: v for k, v in files.items() if k != "group1-shard2of2.bin"}
    with pytest.raises(
        ImportRejected,
        match=re.escape("Weight shard group1-shard2of2.bin named in model.json was not uploaded"),
    ):
        import_model(missing, base_path=tmp_path, name="t")
    short = dict(files, **{"group1-shard2of2.bin": files["group1-shard2of2.bin"][:-8]})
    with pytest.raises(ImportRejected, match="end before weight 'dense/bias'"):
        import_model(short, base_path=tmp_path, name="t")
    document = json.loads(files["model.json"])
    document["weightsManifest"][0]["weights"][0]["quantization"] = {
        "dtype": "uint8",
        "scale": 0.1,
        "min": 0,
    }
    with pytest.raises(ImportRejected, match="Weight 'conv2d/kernel' is quantized"):
        import_model(
            dict(files, **{"model.json": json.dumps(document).encode()}),
            base_path=tmp_path,
            name="t",
        )
    graph = dict(document, format="graph-model")
    with pytest.raises(ImportRejected, match=re.escape("only TensorFlow.js *layers* models")):
        import_model(
            dict(files, **{"model.json": json.dumps(graph).encode()}), base_path=tmp_path, name="t"
        )
    with pytest.raises(ImportRejected, match=re.escape("model.json is not valid JSON")):
        import_model(dict(files, **{"model.json": b"{nope"}), base_path=tmp_path, name="t")
    assert not any(tmp_path.rglob("saved_model.pb"))


def test_cli_imports_and_explains_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = tfjs_files(build_sequential(size=16))
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    paths = [str(tmp_path / name) for name in files]
    base = tmp_path / "models"
    classes = ",".join(CLASSES)
    argv = ["import-model", *paths, "--name", "cli-cnn", "--classes", classes]
    assert main([*argv, "--base-path", str(base)]) == 0
    assert capsys.readouterr().out.strip() == str(base / "cli-cnn" / "1")
    assert [c.name for c in ModelBundle.open(base / "cli-cnn" / "1").classes] == CLASSES
    shard = [p for p in paths if p.endswith("shard2of2.bin")]
    fewer = [p for p in paths if p not in shard]
    assert (
        main(["import-model", *fewer, "--name", "x", "--base-path", str(base)]) == EXIT_USER_ERROR
    )
    error = capsys.readouterr().err
    assert (
        error.startswith("cnn101: error: Weight shard group1-shard2of2.bin")
        and "Traceback" not in error
    )

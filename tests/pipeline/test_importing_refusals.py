"""Importing a model the explorer cannot show exactly: a refusal that names why, nothing written.

Each unsupported layer, shape or damaged file is refused with an ``ImportRejected`` whose
message names the layer or the file, before Keras loads anything it should not.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pytest

from services.pipeline.importing import MAX_UPLOAD_BYTES, ImportRejected, import_model
from tests.pipeline.test_importing import build_sequential, build_source, keras_bytes, tfjs_files


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

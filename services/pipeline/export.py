"""Write a trained model in TensorFlow Serving's layout, with what the views need beside it.

``<base>/<name>/<version>/`` holds a SavedModel with two signatures, ``serving_default``
(``probabilities``) and ``activations`` (one output per layer, keyed by layer name), both
taking ``input``: float32 ``N x H x W x 3`` in [0, 1]. ``assets.extra/`` (which TF Serving
ignores) holds ``model.json`` (classes, layer graph, weight manifest, training summary),
``weights.bin`` (every weight as little-endian float32, laid out by the manifest, so a
browser loads it with one ``fetch`` and a ``Float32Array``), ``labels.txt`` and
``tf_serving_warmup_requests`` (TF Serving's warm-up file: one Predict of one image per
signature, which TF Serving and our inference server replay before serving the version)
and ``model.tflite`` with its record, a LiteRT copy checked against the SavedModel
(:mod:`services.pipeline.lite`) that our inference server runs without TensorFlow.
A version is written to a temporary folder and renamed into place, so a server watching
the base path never sees half of one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from services.common.model_store import ASSETS_DIR, LABELS_TXT, MODEL_JSON, WEIGHTS_BIN
from services.pipeline.architecture import Architecture
from services.pipeline.classes import ImageClass
from services.pipeline.graph import describe_layers, layer_weights
from services.pipeline.lite import write_lite_copy

FORMAT_VERSION = 1
WARMUP_FILE = "tf_serving_warmup_requests"
SIGNATURES = ("serving_default", "activations")


def next_version(model_dir: Path) -> int:
    """One more than the highest numeric version folder (1 for a new model)."""
    versions = [int(p.name) for p in model_dir.glob("*") if p.is_dir() and p.name.isdigit()]
    return max(versions, default=0) + 1


def _write_savedmodel(model: keras.Model, path: Path) -> None:
    height, width, channels = (int(d) for d in model.input.shape[1:])
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    all_outputs = keras.Model(model.inputs, [layer.output for layer in layers])
    names = [layer.name for layer in layers]
    spec = tf.TensorSpec([None, height, width, channels], tf.float32, name="input")

    archive = keras.export.ExportArchive()
    archive.track(all_outputs)

    def probabilities(input: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"probabilities": all_outputs(input, training=False)[-1]}

    def activations(input: tf.Tensor) -> dict[str, tf.Tensor]:
        outputs = all_outputs(input, training=False)
        return dict(zip(names, outputs, strict=True))

    archive.add_endpoint("serving_default", probabilities, input_signature=[spec])
    archive.add_endpoint("activations", activations, input_signature=[spec])
    archive.write_out(str(path), verbose=False)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (strings and embedded messages)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def warmup_record(name: str, signature: str, image: np.ndarray) -> bytes:
    """A serialised ``tensorflow.serving.PredictionLog`` holding a Predict of ``image``.

    Encoded by hand (PredictionLog.predict_log = 6, PredictLog.request = 1, PredictRequest
    model_spec = 1 and inputs = 2, ModelSpec name = 1 and signature_name = 3, map entries
    key = 1, value = 2) because the model worker's image carries TensorFlow but not
    tensorflow-serving-api; the tests parse it with the real protos.
    """
    spec = _field(1, name.encode()) + _field(3, signature.encode())
    tensor = tf.make_tensor_proto(image).SerializeToString()
    request = _field(1, spec) + _field(2, _field(1, b"input") + _field(2, tensor))
    return _field(6, _field(1, request))


def write_warmup_requests(
    assets: Path, name: str, input_shape: Sequence[int], signatures: Sequence[str] = SIGNATURES
) -> Path:
    """Write ``assets/tf_serving_warmup_requests``: one zero image per signature.

    Served versions are warmed up with it before their first request; the values do not
    matter, the shapes and the signatures do.
    """
    image = np.zeros((1, *input_shape), np.float32)
    path = assets / WARMUP_FILE
    with tf.io.TFRecordWriter(str(path)) as writer:
        for signature in signatures:
            writer.write(warmup_record(name, signature, image))
    return path


def _write_assets(
    model: keras.Model,
    assets: Path,
    *,
    name: str,
    version: int,
    arch: Architecture | None,
    classes: Sequence[ImageClass],
    summary: dict[str, Any],
) -> None:
    assets.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    offset = 0
    digest = hashlib.sha256()
    with (assets / WEIGHTS_BIN).open("wb") as weights_file:
        for layer, role, values in layer_weights(model):
            data = values.astype("<f4").tobytes()
            weights_file.write(data)
            digest.update(data)
            manifest.append(
                {
                    "layer": layer,
                    "name": role,
                    "shape": list(values.shape),
                    "dtype": "float32",
                    "offset": offset,
                    "length": len(data),
                }
            )
            offset += len(data)
    description = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": version,
        "input": {
            "name": "input",
            "shape": [int(d) for d in model.input.shape[1:]],
            "dtype": "float32",
            "range": [0.0, 1.0],
        },
        "classes": [{"index": i, "wnid": c.wnid, "name": c.name} for i, c in enumerate(classes)],
        "layers": describe_layers(model),
        "weights": {
            "file": WEIGHTS_BIN,
            "byte_order": "little",
            "sha256": digest.hexdigest(),
            "layout": "conv kernel [kh, kw, in, out]; dense kernel [in, out]; bias [out]",
            "tensors": manifest,
        },
        "signatures": {
            "serving_default": {"inputs": ["input"], "outputs": ["probabilities"]},
            "activations": {
                "inputs": ["input"],
                "outputs": [layer["name"] for layer in describe_layers(model)[1:]],
            },
        },
        "architecture": arch.to_json() if arch else None,
        "training": summary,
    }
    (assets / MODEL_JSON).write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
    (assets / LABELS_TXT).write_text("".join(f"{c.name}\n" for c in classes), encoding="utf-8")
    write_warmup_requests(assets, name, [int(d) for d in model.input.shape[1:]])


def export_model(
    model: keras.Model,
    base_path: Path,
    name: str,
    classes: Sequence[ImageClass],
    *,
    arch: Architecture | None = None,
    summary: dict[str, Any] | None = None,
    version: int | None = None,
) -> Path:
    """Export ``model`` as ``base_path/name/<version>`` and return that folder."""
    model_dir = base_path / name
    model_dir.mkdir(parents=True, exist_ok=True)
    if version is None:
        version = next_version(model_dir)
    target = model_dir / str(version)
    if target.exists():
        raise FileExistsError(f"Model version {target} exists already; pick another version.")
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=model_dir))
    try:
        _write_savedmodel(model, staging)
        _write_assets(
            model,
            staging / ASSETS_DIR,
            name=name,
            version=version,
            arch=arch,
            classes=classes,
            summary=summary or {},
        )
        write_lite_copy(staging)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target

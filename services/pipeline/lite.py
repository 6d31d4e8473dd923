"""A LiteRT copy of an exported version, which the inference server runs without TensorFlow.

TensorFlow takes 10-17 s to import on the project's 2-core machine and 0.7 GB to hold,
which is what a restarted inference process spent before it could answer; LiteRT
(``ai-edge-litert``) imports in 0.2 s and runs the Tiny VGG's ``activations`` signature in
about 0.2 ms an image instead of 5. The SavedModel stays the contract (TF Serving serves
the same folder): the copy is converted from it at export, both signatures are run on the
same inputs by both runtimes, and the copy is kept only if every output agrees within
``TOLERANCE`` (relative to the output's largest magnitude, at least 1). A record beside it
names the SavedModel it was made from (``saved_model_digest``), so a server never runs a
copy of other weights; a version without a valid copy is served by TensorFlow.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from services.common.model_store import ASSETS_DIR, LITE_MODEL, LITE_RECORD, saved_model_digest

log = logging.getLogger(__name__)

TOLERANCE = 1e-5
#: The images compared per signature: a zero image, a bright one and random ones.
CHECK_IMAGES = 6


@dataclass(frozen=True)
class LiteRecord:
    """What ``assets.extra/model.tflite.json`` says about the copy beside it."""

    source: str  # saved_model_digest of the version the copy was converted from
    signatures: list[str]
    max_relative_error: float
    tolerance: float
    converter: str


class LiteMismatchError(RuntimeError):
    """The converted copy does not give the SavedModel's answers."""


def _check_inputs(shape: Sequence[int], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    images = rng.random((CHECK_IMAGES, *shape), dtype=np.float32)
    images[0] = 0.0
    images[1] = 1.0
    return images


def compare(loaded: Any, lite_model: bytes, signatures: Sequence[str]) -> float:
    """The largest relative difference between the loaded SavedModel's and the copy's
    outputs."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=lite_model, num_threads=1)
    worst = 0.0
    for name in signatures:
        function = loaded.signatures[name]
        (alias, spec), *rest = function.structured_input_signature[1].items()
        if rest:
            raise LiteMismatchError(f"signature {name!r} has more than one input")
        images = _check_inputs([int(d) for d in spec.shape[1:]])
        expected = {k: v.numpy() for k, v in function(**{alias: tf.constant(images)}).items()}
        got = interpreter.get_signature_runner(name)(**{alias: images})
        if set(got) != set(expected):
            raise LiteMismatchError(f"{name}: outputs {sorted(got)} != {sorted(expected)}")
        for output, value in expected.items():
            if got[output].shape != value.shape:
                raise LiteMismatchError(f"{name}/{output}: shape {got[output].shape}")
            scale = max(1.0, float(np.abs(value).max()))
            worst = max(worst, float(np.abs(got[output] - value).max()) / scale)
    return worst


def write_lite_copy(version_dir: Path) -> LiteRecord | None:
    """Convert ``version_dir``'s SavedModel, check it, and write the copy and its record.

    Returns None (and writes nothing) when the graph does not convert or the copy
    disagrees: the version is then served by TensorFlow, as before.
    """
    try:
        loaded = tf.saved_model.load(str(version_dir))  # once: signatures and the check
        signatures = sorted(loaded.signatures)
        converter = tf.lite.TFLiteConverter.from_saved_model(
            str(version_dir), signature_keys=signatures
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        lite_model = converter.convert()
        error = compare(loaded, lite_model, signatures)
    except Exception as failure:
        log.warning("no LiteRT copy of %s: %s", version_dir, failure)
        return None
    if error > TOLERANCE:
        log.warning("no LiteRT copy of %s: outputs differ by %.2e", version_dir, error)
        return None
    record = LiteRecord(
        source=saved_model_digest(version_dir),
        signatures=signatures,
        max_relative_error=error,
        tolerance=TOLERANCE,
        converter=f"tensorflow {tf.__version__}",
    )
    assets = version_dir / ASSETS_DIR
    assets.mkdir(exist_ok=True)
    (assets / LITE_MODEL).write_bytes(lite_model)
    (assets / LITE_RECORD).write_text(json.dumps(asdict(record), indent=1) + "\n")
    return record

"""What computes a version's signatures: its LiteRT copy, or TensorFlow over the SavedModel.

A version exported by this project carries ``assets.extra/model.tflite``, converted from its
SavedModel and checked against it at export (services/pipeline/lite.py), with a record of
the SavedModel it was made from. When that record matches the folder, the version runs on
LiteRT: no TensorFlow in the process (a restart answers in about a second instead of 10-17),
about 0.1 GB instead of 0.7, and a 1-image ``activations`` call in about 0.2 ms instead of 5.
Any other version (no copy, a copy of other weights, or ``CNN101_INFERENCE_RUNTIME=tensorflow``)
is loaded with ``tf.saved_model.load``, TensorFlow being imported then.
"""

from __future__ import annotations

import json
import logging
import queue
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from services.common.model_store import ASSETS_DIR, LITE_MODEL, LITE_RECORD, saved_model_digest
from services.common.tensorflow_package import import_full_tensorflow

logger = logging.getLogger(__name__)

RuntimeChoice = Literal["auto", "tensorflow"]


class TensorFlowRuntime:
    """The SavedModel's signature functions, run eagerly by TensorFlow."""

    name = "tensorflow"

    def __init__(self, version_dir: Path, tag: str) -> None:
        self._tf = import_full_tensorflow()
        # The functions read the loaded object's variables: it lives as long as they do.
        self._loaded = self._tf.saved_model.load(str(version_dir), tags=[tag])
        self._functions = dict(self._loaded.signatures)

    def signatures(self) -> set[str]:
        return set(self._functions)

    def call(
        self, signature: str, inputs: Mapping[str, np.ndarray], wanted: Sequence[str]
    ) -> dict[str, np.ndarray]:
        tf = self._tf
        outputs = self._functions[signature](
            **{alias: tf.constant(value) for alias, value in inputs.items()}
        )
        return {alias: outputs[alias].numpy() for alias in wanted}


class LiteRuntime:
    """A LiteRT interpreter per concurrent call (an interpreter is not thread-safe), each on
    one thread: the server's gRPC threads are the parallelism."""

    name = "litert"

    def __init__(self, model: bytes, signatures: Sequence[str]) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter
        self._model = model
        self._signatures = set(signatures)
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._idle.put(self._new())  # a copy that does not load fails here, not on a request

    def _new(self) -> Any:
        return self._interpreter(model_content=self._model, num_threads=1)

    def signatures(self) -> set[str]:
        return set(self._signatures)

    def call(
        self, signature: str, inputs: Mapping[str, np.ndarray], wanted: Sequence[str]
    ) -> dict[str, np.ndarray]:
        try:
            interpreter = self._idle.get_nowait()
        except queue.Empty:
            interpreter = self._new()
        try:
            runner = interpreter.get_signature_runner(signature)
            outputs = runner(**{alias: np.ascontiguousarray(v) for alias, v in inputs.items()})
            # Outputs must not share the interpreter's buffers once it serves another call.
            return {
                alias: outputs[alias] if outputs[alias].base is None else outputs[alias].copy()
                for alias in wanted
            }
        finally:
            self._idle.put(interpreter)


def lite_copy(version_dir: Path) -> tuple[bytes, list[str]] | None:
    """The version's LiteRT copy and its signatures, if it has one made from this SavedModel."""
    assets = version_dir / ASSETS_DIR
    try:
        record = json.loads((assets / LITE_RECORD).read_text(encoding="utf-8"))
        model = (assets / LITE_MODEL).read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("source") != saved_model_digest(version_dir):
        logger.warning("%s: LiteRT copy of other weights; using TensorFlow", version_dir)
        return None
    signatures = record.get("signatures")
    if not isinstance(signatures, list) or not all(isinstance(s, str) for s in signatures):
        return None
    return model, signatures


def load_runtime(version_dir: Path, tag: str, choice: RuntimeChoice = "auto") -> Any:
    """LiteRT for a version with a valid copy (unless ``choice`` is "tensorflow"), else
    TensorFlow."""
    copy = lite_copy(version_dir) if choice == "auto" else None
    if copy is not None:
        return LiteRuntime(*copy)
    return TensorFlowRuntime(version_dir, tag)

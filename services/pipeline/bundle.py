"""Read back an exported model version: its description, its weights, its signatures."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from services.common.model_store import ASSETS_DIR, MODEL_JSON
from services.pipeline.classes import ImageClass


class ModelNotFoundError(LookupError):
    """No exported model (or no such version) under the given path."""


def resolve_version_dir(model_dir: Path, version: int | None = None) -> Path:
    """The folder of ``version`` under ``model_dir``, or of the newest version when None."""
    if not model_dir.is_dir():
        raise ModelNotFoundError(
            f"No exported model at {model_dir}: train one with `cnn101 train`."
        )
    if version is None:
        versions = sorted(
            int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()
        )
        if not versions:
            raise ModelNotFoundError(f"{model_dir} holds no model version folder (1, 2, ...).")
        version = versions[-1]
    version_dir = model_dir / str(version)
    if not (version_dir / "saved_model.pb").is_file():
        raise ModelNotFoundError(f"{version_dir} is not an exported model version.")
    return version_dir


@dataclass(frozen=True)
class ModelBundle:
    """An exported version: ``description`` is its ``model.json``."""

    path: Path
    description: dict[str, Any]

    @classmethod
    def open(cls, version_dir: Path) -> ModelBundle:
        model_json = version_dir / ASSETS_DIR / MODEL_JSON
        if not model_json.is_file():
            raise ModelNotFoundError(f"{model_json} is missing: {version_dir} is incomplete.")
        return cls(version_dir, json.loads(model_json.read_text(encoding="utf-8")))

    @property
    def name(self) -> str:
        return str(self.description["name"])

    @property
    def version(self) -> int:
        return int(self.description["version"])

    @property
    def classes(self) -> list[ImageClass]:
        return [ImageClass(c["wnid"], c["name"]) for c in self.description["classes"]]

    @property
    def input_size(self) -> int:
        return int(self.description["input"]["shape"][0])

    def weights(self) -> dict[tuple[str, str], np.ndarray]:
        """Every weight tensor from ``weights.bin``, checked against its SHA-256."""
        spec = self.description["weights"]
        data = (self.path / ASSETS_DIR / spec["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != spec["sha256"]:
            raise ValueError(f"{spec['file']} of {self.path} does not match its checksum.")
        return {
            (t["layer"], t["name"]): np.frombuffer(
                data, dtype="<f4", count=t["length"] // 4, offset=t["offset"]
            ).reshape(t["shape"])
            for t in spec["tensors"]
        }

    @cached_property
    def _loaded(self) -> Any:
        import tensorflow as tf

        return tf.saved_model.load(str(self.path))

    def _call(self, signature: str, inputs: np.ndarray) -> dict[str, np.ndarray]:
        import tensorflow as tf

        function = self._loaded.signatures[signature]
        outputs = function(input=tf.constant(inputs, dtype=tf.float32))
        return {key: value.numpy() for key, value in outputs.items()}

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """``serving_default`` on float32 ``N x H x W x 3`` inputs in [0, 1]."""
        return self._call("serving_default", inputs)["probabilities"]

    def activations(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        """``activations``: every layer's output, keyed by layer name."""
        return self._call("activations", inputs)

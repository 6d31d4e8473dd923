"""The model store: models in TensorFlow Serving's layout, read without TensorFlow.

``<base>/<name>/<version>/`` is a SavedModel; beside it ``assets.extra/`` carries what the
views need (``model.json``, ``weights.bin``, ``labels.txt``, the card ``README.md``). The
pipeline writes this layout (:mod:`services.pipeline.export`); every other service reads it
through the names and the catalogue here. Folders starting with a dot are exports still
being written.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

ASSETS_DIR = "assets.extra"
MODEL_JSON = "model.json"
WEIGHTS_BIN = "weights.bin"
LABELS_TXT = "labels.txt"
MODEL_CARD = "README.md"
SAVED_MODEL_PB = "saved_model.pb"
# gRPC trailing metadata of our inference service's Predict: the fingerprint of the files
# the answer was computed from (TF Serving's own API has no field for it).
FINGERPRINT_METADATA = "cnn101-model-fingerprint"
# A version's LiteRT copy (services/pipeline/lite.py) and the record of what it was made from.
LITE_MODEL = "model.tflite"
LITE_RECORD = "model.tflite.json"
VARIABLES_DIR = "variables"
Source = Literal["builtin", "trained", "imported"]
# version folder -> (the files' identity and size and time, their digest)
_fingerprints: dict[Path, tuple[tuple[tuple[str, int, int, int], ...], str]] = {}


def _saved_model_files(version_dir: Path) -> list[Path]:
    """The SavedModel's graph, then its variables in name order."""
    files = [version_dir / SAVED_MODEL_PB]
    variables = version_dir / VARIABLES_DIR
    if variables.is_dir():
        files += sorted(p for p in variables.iterdir() if p.is_file())
    return files


def _sha256(version_dir: Path, files: list[Path]) -> str:
    """SHA-256 over each file's path (relative to the version) and bytes, in order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(version_dir)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _fingerprinted_files(version_dir: Path) -> list[Path]:
    """What decides a version's answers: the graph, the weights, the views' description."""
    graph, *variables = _saved_model_files(version_dir)
    assets = [version_dir / ASSETS_DIR / name for name in (MODEL_JSON, WEIGHTS_BIN, LITE_MODEL)]
    return [f for f in [graph, *assets, *variables] if f.is_file()]


def saved_model_digest(version_dir: Path) -> str:
    """SHA-256 of the SavedModel alone (graph and variables): what a LiteRT copy records
    as its source, so a server never runs a copy of other weights."""
    return _sha256(version_dir, _saved_model_files(version_dir))


def model_fingerprint(version_dir: Path) -> str:
    """16 hex digits of SHA-256 over a version's graph, variables and description.

    A version exported again under the same number gets a new fingerprint, so caches and
    URLs that include it never serve the old answers. Hashed again only when a file's
    inode, size or modification time changed (a few ``stat`` calls per request otherwise).
    """
    files = _fingerprinted_files(version_dir)
    stamp = tuple(
        (str(f.relative_to(version_dir)), st.st_ino, st.st_size, st.st_mtime_ns)
        for f in files
        for st in (f.stat(),)
    )
    known = _fingerprints.get(version_dir)
    if known is not None and known[0] == stamp:
        return known[1]
    fingerprint = _sha256(version_dir, files)[:16]
    _fingerprints[version_dir] = (stamp, fingerprint)
    return fingerprint


@dataclass(frozen=True)
class CatalogueEntry:
    """One model folder as the studio lists it: its versions, classes, accuracy and card."""

    name: str
    title: str
    versions: list[int]
    latest: int
    source: Source
    classes: list[str]
    accuracy: float | None
    card: str
    created_at: datetime


def complete_versions(model_dir: Path) -> list[int]:
    """The version folders of a model whose export finished (they have ``model.json``)."""
    return sorted(
        int(child.name)
        for child in model_dir.iterdir()
        if child.is_dir() and child.name.isdigit() and (child / ASSETS_DIR / MODEL_JSON).is_file()
    )


def _accuracy(training: dict[str, Any]) -> float | None:
    for key in ("accuracy", "best_val_accuracy"):
        value = training.get(key)
        if isinstance(value, int | float) and 0.0 <= value <= 1.0:
            return float(value)
    return None


def _source(name: str, default: str, description: dict[str, Any]) -> Source:
    training = description.get("training") or {}
    declared = description.get("source") or training.get("source")
    if declared in ("builtin", "trained", "imported"):
        return declared  # type: ignore[no-any-return]
    if training.get("imported"):
        return "imported"
    return "builtin" if name == default else "trained"


def read_entry(model_dir: Path, default: str) -> CatalogueEntry | None:
    """The entry of one model folder, or None when it holds no complete version."""
    versions = complete_versions(model_dir)
    if not versions:
        return None
    latest_dir = model_dir / str(versions[-1])
    try:
        description = json.loads((latest_dir / ASSETS_DIR / MODEL_JSON).read_text("utf-8"))
    except (OSError, ValueError) as error:
        logger.warning("%s: %s unreadable: %s", latest_dir, MODEL_JSON, error)
        return None
    if not isinstance(description, dict):
        return None
    training = description.get("training") or {}
    if not isinstance(training, dict):
        training = {}
    card = ""
    for candidate in (latest_dir / ASSETS_DIR / MODEL_CARD, model_dir / MODEL_CARD):
        if candidate.is_file():
            card = candidate.read_text("utf-8", errors="replace")
            break
    classes = [
        str(c.get("name", "")) for c in description.get("classes", []) if isinstance(c, dict)
    ]
    title = description.get("title") or training.get("title") or model_dir.name
    return CatalogueEntry(
        name=model_dir.name,
        title=str(title),
        versions=versions,
        latest=versions[-1],
        source=_source(model_dir.name, default, description),
        classes=classes,
        accuracy=_accuracy(training),
        card=card,
        created_at=datetime.fromtimestamp(latest_dir.stat().st_mtime, UTC),
    )


def list_models(base_path: Path, default: str) -> list[CatalogueEntry]:
    """Every model under ``base_path``, the default first, then by name."""
    if not base_path.is_dir():
        return []
    entries = [
        entry
        for child in sorted(base_path.iterdir())
        if child.is_dir() and not child.name.startswith(".")
        for entry in [read_entry(child, default)]
        if entry is not None
    ]
    return sorted(entries, key=lambda e: (e.name != default, e.name))

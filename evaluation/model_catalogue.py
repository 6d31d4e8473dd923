"""The models on disk, as the model studio lists them, read without TensorFlow.

Every folder under the model base path with numeric version folders is a model; its latest
version's ``assets.extra/model.json`` (written by :mod:`services.pipeline.export`) gives
the classes and the training summary, ``assets.extra/README.md`` (or the model folder's
``README.md``) the card. Folders starting with a dot are exports still being written.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)
ASSETS_DIR = "assets.extra"
Source = Literal["builtin", "trained", "imported"]


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    title: str
    versions: list[int]
    latest: int
    source: Source
    classes: list[str]
    accuracy: float | None
    card: str
    created_at: datetime


def _versions(model_dir: Path) -> list[int]:
    return sorted(
        int(child.name)
        for child in model_dir.iterdir()
        if child.is_dir() and child.name.isdigit() and (child / ASSETS_DIR / "model.json").is_file()
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
    versions = _versions(model_dir)
    if not versions:
        return None
    latest_dir = model_dir / str(versions[-1])
    try:
        description = json.loads((latest_dir / ASSETS_DIR / "model.json").read_text("utf-8"))
    except (OSError, ValueError) as error:
        logger.warning("%s: model.json unreadable: %s", latest_dir, error)
        return None
    if not isinstance(description, dict):
        return None
    training = description.get("training") or {}
    if not isinstance(training, dict):
        training = {}
    card = ""
    for candidate in (latest_dir / ASSETS_DIR / "README.md", model_dir / "README.md"):
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

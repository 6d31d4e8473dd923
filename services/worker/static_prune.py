"""Remove the static folders of superseded exports, after a grace period.

A model version exported again gets a new fingerprint and so a new folder
(services/common/static_layout.py); the old folder's files are never served by a fresh
example list, but a student whose page loaded the old list may still ask for them, and a
failed render may leave a folder without a manifest. So a version's newest complete folder
always stays, and any other folder goes once it has been untouched for the grace period
(hours: longer than a lesson), which keeps the volume from growing with every re-export.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from services.common.static_layout import FINGERPRINT, MANIFEST, MODEL_NAME

logger = logging.getLogger(__name__)


def _stamp(folder: Path) -> float:
    """When the folder was finished (its manifest), or last changed if it never was."""
    manifest = folder / MANIFEST
    return manifest.stat().st_mtime if manifest.is_file() else folder.stat().st_mtime


def _fingerprint_folders(root: Path) -> list[list[Path]]:
    """Each version's fingerprint folders; anything not of the layout is left alone."""
    groups: list[list[Path]] = []
    for model in sorted(root.iterdir()) if root.is_dir() else []:
        if model.is_symlink() or not model.is_dir() or not MODEL_NAME.fullmatch(model.name):
            continue
        for version in sorted(model.iterdir()):
            if version.is_symlink() or not version.is_dir() or not version.name.isdigit():
                continue
            groups.append(
                [
                    folder
                    for folder in sorted(version.iterdir())
                    if folder.is_dir()
                    and not folder.is_symlink()
                    and FINGERPRINT.fullmatch(folder.name)
                ]
            )
    return groups


def prune_superseded(root: Path, grace_seconds: float, now: float | None = None) -> list[Path]:
    """Remove every fingerprint folder but each version's newest complete one, once older
    than ``grace_seconds``; returns the folders removed."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    for folders in _fingerprint_folders(root):
        complete = [folder for folder in folders if (folder / MANIFEST).is_file()]
        newest = max(complete, key=_stamp) if complete else None
        for folder in folders:
            if folder == newest or now - _stamp(folder) <= grace_seconds:
                continue
            try:
                shutil.rmtree(folder)
            except OSError as error:  # a read-only volume: another worker's job
                logger.warning("superseded static folder %s not removed: %s", folder, error)
                continue
            logger.info("removed the superseded static folder %s", folder)
            removed.append(folder)
    return removed

"""Superseded static folders go after their grace period; the newest complete one stays.

Each re-export of a version writes a new fingerprint folder (services/common/static_layout.py);
without pruning the volume grows with every export. Real folders on disk, real mtimes.
"""

from __future__ import annotations

import os
from pathlib import Path

from services.common.static_layout import MANIFEST
from services.worker.static_prune import prune_superseded

HOUR = 3600.0
NOW = 1_800_000_000.0


def _folder(root: Path, name: str, *, finished_hours_ago: float, manifest: bool = True) -> Path:
    """A fingerprint folder of tiny-vgg version 1 with one bundle, dated in the past."""
    folder = root / "tiny-vgg" / "1" / name
    (folder / "bundles").mkdir(parents=True)
    (folder / "bundles" / ("a" * 64 + ".bin")).write_bytes(b"bundle")
    stamp = NOW - finished_hours_ago * HOUR
    if manifest:
        (folder / MANIFEST).write_text("{}")
        os.utime(folder / MANIFEST, (stamp, stamp))
    os.utime(folder, (stamp, stamp))
    return folder


def test_old_superseded_and_unfinished_folders_go_the_newest_and_recent_ones_stay(
    tmp_path: Path,
) -> None:
    old = _folder(tmp_path, "0" * 16, finished_hours_ago=30)
    recent = _folder(tmp_path, "1" * 16, finished_hours_ago=2)
    current = _folder(tmp_path, "2" * 16, finished_hours_ago=1)
    failed = _folder(tmp_path, "3" * 16, finished_hours_ago=12, manifest=False)
    rendering = _folder(tmp_path, "4" * 16, finished_hours_ago=0.1, manifest=False)
    stranger = tmp_path / "tiny-vgg" / "1" / "notes"
    stranger.mkdir()

    removed = prune_superseded(tmp_path, grace_seconds=6 * HOUR, now=NOW)

    assert sorted(removed) == sorted([old, failed])
    assert not old.exists() and not failed.exists()
    assert recent.is_dir() and current.is_dir() and rendering.is_dir() and stranger.is_dir()
    # A second pass has nothing left to do.
    assert prune_superseded(tmp_path, grace_seconds=6 * HOUR, now=NOW) == []


def test_the_only_complete_folder_stays_however_old(tmp_path: Path) -> None:
    only = _folder(tmp_path, "5" * 16, finished_hours_ago=1000)
    assert prune_superseded(tmp_path, grace_seconds=HOUR, now=NOW) == []
    assert (only / "bundles").is_dir()


def test_a_missing_root_or_foreign_names_are_left_alone(tmp_path: Path) -> None:
    assert prune_superseded(tmp_path / "absent", grace_seconds=0, now=NOW) == []
    (tmp_path / "..hidden" / "1" / ("6" * 16)).mkdir(parents=True)
    (tmp_path / "model" / "latest" / ("7" * 16)).mkdir(parents=True)
    assert prune_superseded(tmp_path, grace_seconds=0, now=NOW) == []

"""Which model versions are served: found under the base path, loaded, looked up.

The layout is TF Serving's, ``<base>/<name>/<version>/saved_model.pb`` with an integer
version; anything else (the exporter's ``.N-xxxx`` staging folders, hidden folders, files)
is ignored. Every version found is served, the newest by default (TF Serving's
``all`` version policy). :meth:`ModelRegistry.refresh` brings the served set in line with
the disk, so a version exported while the server runs is served without a restart.
A version is warmed up (``prepare``) after it loads and before it is served or counted in
the health status, so no client pays for its first calls.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.inference.models import SAVED_MODEL_PB, Servable, Warmup, load_servable
from services.inference.runtimes import RuntimeChoice

logger = logging.getLogger(__name__)

VERSION_DIR = re.compile(r"[0-9]+", re.ASCII)

Key = tuple[str, int]
Fingerprint = tuple[int, int, int]


class ServableNotFoundError(LookupError):
    """No such model, or no such version of it (NOT_FOUND)."""


class ModelsLoadingError(RuntimeError):
    """The first scan of the base path has not finished: nothing is known yet (UNAVAILABLE),
    so a restarting server does not tell clients that a model they use does not exist."""


@dataclass(frozen=True)
class VersionStatus:
    """A version's state: served (``error`` is None) or failed to load (with why)."""

    version: int
    error: str | None = None


def _fingerprint(saved_model: Path) -> Fingerprint:
    stat = saved_model.stat()
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def discover(base_path: Path) -> dict[Key, tuple[Path, Fingerprint]]:
    """Every complete version folder under ``base_path``, with its ``saved_model.pb`` id.

    The fingerprint notices a version deleted and exported again under the same number
    between two polls.
    """
    found: dict[Key, tuple[Path, Fingerprint]] = {}
    for model_dir in _folders(base_path):
        if model_dir.name.startswith("."):
            continue
        for version_dir in _folders(model_dir):
            if not VERSION_DIR.fullmatch(version_dir.name):
                continue
            try:
                fingerprint = _fingerprint(version_dir / SAVED_MODEL_PB)
            except OSError:  # not a SavedModel (yet), or removed meanwhile
                continue
            found[(model_dir.name, int(version_dir.name))] = (version_dir, fingerprint)
    return found


def _folders(path: Path) -> list[Path]:
    """The folders in ``path``; none if it is missing or disappears while being read."""
    try:
        return [child for child in path.iterdir() if child.is_dir()]
    except OSError:
        return []


class ModelRegistry:
    """The served versions, kept in step with ``base_path`` by :meth:`refresh`.

    Lookups take a lock only to read a dict; loading happens outside it, so requests are
    never held up by a version being loaded. ``on_change`` is told whether anything is
    served after the first refresh and whenever that changes (it drives the health status,
    whose watchers expect an update only on a change). ``prepare`` runs on each loaded
    version before it is served (the warm-up); if it raises, the version failed to load.
    """

    def __init__(
        self,
        base_path: Path,
        on_change: Callable[[bool], None] | None = None,
        prepare: Callable[[Servable], Warmup] | None = None,
        runtime: RuntimeChoice = "auto",
    ) -> None:
        self.base_path = base_path
        self._runtime: RuntimeChoice = runtime
        self._on_change = on_change
        self._prepare = prepare
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._servables: dict[Key, tuple[Servable, Fingerprint]] = {}
        self._failures: dict[Key, tuple[str, Fingerprint]] = {}
        self._warmups: dict[Key, Warmup] = {}
        self._reported: bool | None = None
        self._scanned = False

    def refresh(self) -> None:
        """Load versions that appeared or changed, unload those that disappeared."""
        with self._refresh_lock:
            found = discover(self.base_path)
            with self._lock:
                current = {key: fp for key, (_, fp) in self._servables.items()}
                failed = {key: fp for key, (_, fp) in self._failures.items()}
            for key in sorted(set(current) - set(found)):
                logger.info("unloading %s version %d: its folder is gone", *key)
                with self._lock:
                    del self._servables[key]
                    self._warmups.pop(key, None)
            with self._lock:
                for key in set(failed) - set(found):
                    del self._failures[key]
            for key, (path, fingerprint) in sorted(found.items()):
                if fingerprint in (current.get(key), failed.get(key)):
                    continue
                self._load(key, path, fingerprint)
            # Scanned before health changes: a client told SERVING must find the versions.
            self._scanned = True
            serving = self.serving
            if self._on_change is not None and serving != self._reported:
                self._on_change(serving)
            self._reported = serving

    def _load(self, key: Key, path: Path, fingerprint: Fingerprint) -> None:
        try:
            servable = load_servable(key[0], key[1], path, self._runtime)
            warmup = self._prepare(servable) if self._prepare is not None else None
        except Exception as error:
            logger.exception("could not load %s version %d from %s", key[0], key[1], path)
            with self._lock:
                self._servables.pop(key, None)
                self._warmups.pop(key, None)
                self._failures[key] = (f"{type(error).__name__}: {error}", fingerprint)
            return
        logger.info("serving %s version %d from %s", key[0], key[1], path)
        with self._lock:
            self._servables[key] = (servable, fingerprint)
            self._failures.pop(key, None)
            if warmup is None:
                self._warmups.pop(key, None)
            else:
                self._warmups[key] = warmup

    def warmup(self, name: str, version: int) -> Warmup | None:
        """How a served version was warmed up (None: not served, or warm-up is off)."""
        with self._lock:
            return self._warmups.get((name, version))

    @property
    def serving(self) -> bool:
        """Whether at least one version is loaded."""
        with self._lock:
            return bool(self._servables)

    def get(self, name: str, version: int | None = None) -> Servable:
        """The version asked for, or the newest loaded version of ``name``."""
        if not self._scanned:
            raise ModelsLoadingError("the model server is still loading its models")
        with self._lock:
            if version is not None:
                entry = self._servables.get((name, version))
                if entry is None:
                    raise ServableNotFoundError(
                        f"Servable not found for request: Specific({name}, {version})"
                    )
                return entry[0]
            versions = [v for (n, v) in self._servables if n == name]
            if not versions:
                raise ServableNotFoundError(f"Servable not found for request: Latest({name})")
            return self._servables[(name, max(versions))][0]

    def statuses(self, name: str) -> list[VersionStatus]:
        """Every version of ``name`` this server knows, served or failed, oldest first."""
        if not self._scanned:
            raise ModelsLoadingError("the model server is still loading its models")
        with self._lock:
            served = [VersionStatus(v) for (n, v) in self._servables if n == name]
            failed = [
                VersionStatus(v, error)
                for (n, v), (error, _) in self._failures.items()
                if n == name
            ]
        return sorted(served + failed, key=lambda status: status.version)

"""The pre-rendered example files: which exist (the index) and how they are sent (the mount).

The worker renders each version's example bundles and class sprites to files named by the
SHA-256 of their bytes (services/common/static_layout.py). The example list points at them
when a version's manifest is on disk; :class:`StaticBundleFiles`, mounted at ``/static``,
sends them with a strong ETag (that digest) and a year's ``immutable`` caching, after a
regular-expression match and one visibility lookup: no gRPC, no Redis, no encoding. A file
sent once is kept in memory (``CNN101_STATIC_MEMORY_BYTES``), since a FileResponse costs
the gateway more per request than bytes it holds. nginx or a CDN may serve the same folder
instead (docs/serving.md).
"""

from __future__ import annotations

import asyncio
import functools
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.types import Receive, Scope, Send

from services.common.errors import ApiError
from services.common.static_layout import (
    BUNDLES,
    FILE_PATH,
    MANIFEST,
    SPRITES,
    URL_PREFIX,
    Manifest,
    relative_path,
    version_dir,
)
from services.gateway.encoded import not_modified
from services.gateway.published import require_visible_model
from services.gateway.responses import BUNDLE_MEDIA_TYPE, IMMUTABLE

# A version without a manifest yet (the worker is rendering) is looked for again this soon.
MISSING_SECONDS = 2.0
MAX_VERSIONS = 64


class BundleFileResponse(FileResponse):
    """A whole bundle (about 370 KB) in one read instead of six 64 KB thread hops."""

    chunk_size = 1024 * 1024


def regular_file(path: Path) -> os.stat_result | None:
    """The file's status if it is a regular file. Stat'ed here, on the event loop (a
    metadata lookup the kernel caches), and handed to the response, which then needs no
    thread for it."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status if stat.S_ISREG(status.st_mode) else None


@dataclass(frozen=True)
class StaticVersion:
    """One rendered version: its manifest and the URLs of its files."""

    manifest: Manifest

    def _url(self, kind: str, sha256: str) -> str:
        m = self.manifest
        return f"{URL_PREFIX}/{relative_path(m.model, m.version, m.fingerprint, kind, sha256)}"

    def bundle_url(self, example_id: str, image_digest: str) -> str | None:
        """The example's file, if the render holds it for this very input."""
        entry = self.manifest.bundles.get(example_id)
        if entry is None or entry[0] != image_digest:
            return None
        return self._url(BUNDLES, entry[1])

    def bundle_file(self, root: Path, example_id: str, image_digest: str) -> Path | None:
        """Where the example's file is on disk (the activations route sends it too)."""
        entry = self.manifest.bundles.get(example_id)
        if entry is None or entry[0] != image_digest:
            return None
        m = self.manifest
        return root / relative_path(m.model, m.version, m.fingerprint, BUNDLES, entry[1])

    def sprite_url(self, label: int) -> str | None:
        sha = self.manifest.sprites.get(label)
        return None if sha is None else self._url(SPRITES, sha)


class StaticIndex:
    """Manifests read from disk once (they never change), a missing one asked again later;
    and the most recently sent files' bytes, up to ``memory_bytes``."""

    def __init__(self, root: Path, memory_bytes: int) -> None:
        self.root = root
        self._found: dict[tuple[str, int, str], StaticVersion] = {}
        self._missing: dict[tuple[str, int, str], float] = {}
        self._bytes: LRUCache[Path, bytes] | None = (
            LRUCache(maxsize=memory_bytes, getsizeof=len) if memory_bytes > 0 else None
        )

    async def response(
        self, path: Path, media_type: str, headers: dict[str, str]
    ) -> Response | None:
        """The file with ``headers``, or None when it is not on disk. From memory when it
        was sent before: measured, a response of bytes in memory costs the gateway less
        than a FileResponse, whose stat, open, read and close each take a worker thread
        (docs/serving.md); a file's name is its content's digest, so it is never stale."""
        data = None if self._bytes is None else self._bytes.get(path)
        if data is not None:
            return Response(data, media_type=media_type, headers=headers)
        status = regular_file(path)
        if status is None:
            return None
        if self._bytes is None or status.st_size > (self._bytes.maxsize or 0):
            return BundleFileResponse(
                path, media_type=media_type, headers=headers, stat_result=status
            )
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError:
            return None
        self._bytes[path] = data
        return Response(data, media_type=media_type, headers=headers)

    def version(self, model: str, version: int, fingerprint: str) -> StaticVersion | None:
        key = (model, version, fingerprint)
        found = self._found.get(key)
        if found is not None:
            return found
        if time.monotonic() < self._missing.get(key, 0.0):
            return None
        try:
            path = version_dir(self.root, model, version, fingerprint) / MANIFEST
            manifest = Manifest.from_json(path.read_bytes())
        except (OSError, ValueError):
            self._missing[key] = time.monotonic() + MISSING_SECONDS
            return None
        if (manifest.model, manifest.version, manifest.fingerprint) != key:
            self._missing[key] = time.monotonic() + MISSING_SECONDS
            return None
        if len(self._found) >= MAX_VERSIONS:
            self._found.clear()
        self._found[key] = StaticVersion(manifest)
        return self._found[key]


@functools.cache
def static_index(root: Path, memory_bytes: int) -> StaticIndex:
    """One index per static folder per process, shared by the routes that read it."""
    return StaticIndex(root, memory_bytes)


def immutable_headers(sha256: str) -> dict[str, str]:
    return {"ETag": f'"{sha256}"', "Cache-Control": IMMUTABLE}


class StaticBundleFiles:
    """The ASGI app mounted at ``/static``: only paths of the layout, only visible models."""

    def __init__(self, root: Path, memory_bytes: int) -> None:
        self.root = root
        self.memory_bytes = memory_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        request = Request(scope, receive)
        if request.method not in ("GET", "HEAD"):
            raise ApiError(405, "method_not_allowed", "Static files are only read.")
        # The path under the mount, still percent-encoded: "%2F" or ".." never match.
        raw = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        match = FILE_PATH.fullmatch(raw.partition("?")[0].removeprefix(URL_PREFIX + "/"))
        if match is None:
            raise ApiError(404, "not_found", "There is no such file.")
        # Unpublished models are invisible here as on every route (services/gateway/published.py).
        named = Request({**scope, "path_params": {"name": match["model"]}}, receive)
        app = scope["app"]
        await require_visible_model(named, app.state.gateway, app.state.published)
        headers = immutable_headers(match["bundle"] or match["sprite"])
        response = not_modified(request.headers, headers)
        if response is None:
            media_type = BUNDLE_MEDIA_TYPE if match["bundle"] else "image/png"
            index = static_index(self.root, self.memory_bytes)
            response = await index.response(self.root / match[0], media_type, headers)
        if response is None:
            raise ApiError(404, "not_found", "There is no such file.")
        await response(scope, receive, send)

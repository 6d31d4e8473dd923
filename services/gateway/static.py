"""The SPA's files: precompressed when the build made a ``.br`` / ``.gz`` beside them, and
held in memory once sent.

The build (frontend/vite.config.ts) writes ``name.br`` and ``name.gz`` next to every text
asset, so the gateway never compresses a file per request; a browser that accepts neither
gets the plain file. Vite's hashed ``assets/`` never change under one name and are cached
for a year; the HTML pages are revalidated, so a new build reaches every browser.

A class opens the pages at once, each student's browser fetching every script and style:
10,000 requests for 1,000 students at the learning phase's start. Through ``StaticFiles``
each cost the gateway 0.9 ms of CPU (a path lookup and the file's open, read and close,
each in a worker thread); a file sent once is now answered from its bytes in memory after a
``stat`` on the event loop that notices a new build (docs/sizing.md).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from cachetools import LRUCache
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from services.gateway.encoded import accepted_codings, not_modified

HASHED_ASSETS = "assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Preferred first; Chromium sends br only over HTTPS, so on a classroom LAN gzip is used.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
# The whole build is about 1 MB with its siblings; a larger file is sent from disk.
SPA_MEMORY_BYTES = 32 * 1024 * 1024
MAX_HELD_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class HeldFile:
    """One SPA file as sent: its bytes in each coding the build made, the headers they
    share, and the plain file's modification time and size, which a new build changes."""

    full_path: Path
    mtime_ns: int
    size: int
    media_type: str
    headers: dict[str, str]
    codings: dict[str, bytes]

    def nbytes(self) -> int:
        return sum(len(data) for data in self.codings.values())

    def unchanged(self) -> bool:
        try:
            status = self.full_path.stat()
        except OSError:
            return False
        return (status.st_mtime_ns, status.st_size) == (self.mtime_ns, self.size)

    def response(self, request_headers: Headers) -> Response:
        if (unchanged := not_modified(request_headers, self.headers)) is not None:
            return unchanged
        accepted = accepted_codings(request_headers.get("accept-encoding", ""))
        for coding, _ in ENCODINGS:
            if coding in accepted and coding in self.codings:
                headers = {**self.headers, "Content-Encoding": coding}
                return Response(self.codings[coding], media_type=self.media_type, headers=headers)
        return Response(self.codings["identity"], media_type=self.media_type, headers=self.headers)


def _read_codings(path: Path) -> dict[str, bytes]:
    """The plain file and the siblings the build made (read in a worker thread)."""
    codings = {"identity": path.read_bytes()}
    for coding, suffix in ENCODINGS:
        sibling = Path(f"{path}{suffix}")
        if sibling.is_file():
            codings[coding] = sibling.read_bytes()
    return codings


def _from_memory_allowed(request_headers: Headers) -> bool:
    """A range, or a date to compare without an ETag, goes to ``StaticFiles`` as before."""
    return "range" not in request_headers and (
        "if-modified-since" not in request_headers or "if-none-match" in request_headers
    )


class PrecompressedStaticFiles(StaticFiles):
    """``StaticFiles`` that answers with a precompressed sibling, sets Cache-Control, and
    answers a file it sent before from memory."""

    def __init__(self, *, directory: Path, html: bool = False) -> None:
        super().__init__(directory=directory, html=html)
        self._held: LRUCache[str, HeldFile] = LRUCache(
            maxsize=SPA_MEMORY_BYTES, getsizeof=HeldFile.nbytes
        )

    async def get_response(self, path: str, scope: Scope) -> Response:
        request_headers = Headers(scope=scope)
        held = self._held.get(path)
        if held is not None and scope["method"] in ("GET", "HEAD"):
            if not held.unchanged():
                self._held.pop(path, None)
            elif _from_memory_allowed(request_headers):
                return held.response(request_headers)
        response = await super().get_response(path, scope)
        hashed = path.replace(os.sep, "/").startswith(HASHED_ASSETS)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE if hashed else REVALIDATE
            response.headers["Vary"] = "Accept-Encoding"
        if response.status_code != 200 or not isinstance(response, FileResponse):
            return response
        held = await self._hold(path, response)
        if held is not None:
            return held.response(request_headers)
        accepted = accepted_codings(request_headers.get("accept-encoding", ""))
        for coding, suffix in ENCODINGS:
            encoded = Path(f"{response.path}{suffix}")
            if coding in accepted and encoded.is_file():
                return FileResponse(
                    encoded,
                    media_type=response.media_type,
                    headers={"Content-Encoding": coding, **_shared_headers(response)},
                )
        return response

    async def _hold(self, path: str, response: FileResponse) -> HeldFile | None:
        """The file's codings, kept if it is small enough and unchanged while read."""
        full_path = Path(response.path)
        try:
            status = full_path.stat()
            if status.st_size > MAX_HELD_FILE_BYTES:
                return None
            codings = await asyncio.to_thread(_read_codings, full_path)
        except OSError:
            return None
        held = HeldFile(
            full_path=full_path,
            mtime_ns=status.st_mtime_ns,
            size=status.st_size,
            media_type=str(response.media_type),
            headers=_shared_headers(response),
            codings=codings,
        )
        if not held.unchanged() or len(codings["identity"]) != status.st_size:
            return None
        self._held[path] = held
        return held


def _shared_headers(response: FileResponse) -> dict[str, str]:
    """Same ETag and Last-Modified as the plain file in every coding: one entity in several
    codings, so a revalidation (304) works whichever coding the browser stored."""
    return {
        "Cache-Control": response.headers["Cache-Control"],
        "Vary": "Accept-Encoding",
        "ETag": response.headers["etag"],
        "Last-Modified": response.headers["last-modified"],
    }

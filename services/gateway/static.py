"""The SPA's files: precompressed when the build made a ``.br`` / ``.gz`` beside them.

The build (frontend/vite.config.ts) writes ``name.br`` and ``name.gz`` next to every text
asset, so the gateway never compresses a file per request; a browser that accepts neither
gets the plain file. Vite's hashed ``assets/`` never change under one name and are cached
for a year; the HTML pages are revalidated, so a new build reaches every browser.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

HASHED_ASSETS = "assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Preferred first; Chromium sends br only over HTTPS, so on a classroom LAN gzip is used.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def _accepted(accept_encoding: str) -> set[str]:
    """Codings the client accepts (``q=0`` means refused)."""
    accepted = set()
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        if params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            accepted.add(coding.strip().lower())
    return accepted


class PrecompressedStaticFiles(StaticFiles):
    """``StaticFiles`` that answers with a precompressed sibling and sets Cache-Control."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        hashed = path.replace(os.sep, "/").startswith(HASHED_ASSETS)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE if hashed else REVALIDATE
            response.headers["Vary"] = "Accept-Encoding"
        if response.status_code != 200 or not isinstance(response, FileResponse):
            return response
        accepted = _accepted(Headers(scope=scope).get("accept-encoding", ""))
        for coding, suffix in ENCODINGS:
            encoded = Path(f"{response.path}{suffix}")
            if coding in accepted and encoded.is_file():
                # Same ETag and Last-Modified as the plain file: one entity in two codings,
                # so a revalidation (304) works whichever coding the browser stored.
                return FileResponse(
                    encoded,
                    media_type=response.media_type,
                    headers={
                        "Content-Encoding": coding,
                        "Cache-Control": response.headers["Cache-Control"],
                        "Vary": "Accept-Encoding",
                        "ETag": response.headers["etag"],
                        "Last-Modified": response.headers["last-modified"],
                    },
                )
        return response

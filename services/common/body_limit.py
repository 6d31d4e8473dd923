"""One request-body limit for every HTTP service, enforced before any handler reads a byte.

Starlette and FastAPI have no body limit of their own, so this small ASGI middleware is it.
A declared ``Content-Length`` over the limit is refused at once; a chunked body (no length)
is read up to the limit and then replayed, so it is counted like any other and gets the
same 413 instead of a parser's error halfway through (FastAPI turns any error raised while
it parses a form into 400 "There was an error parsing the body"). What is read waits in a
spooled file, at most :data:`SPOOL_MEMORY_BYTES` of it in memory, so a chunked upload
costs the process no more memory than one with a length. Some paths (uploads of pictures,
data sets, models) get a larger limit and their own advice.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import error_response

MEBIBYTE = 1024 * 1024
# Multipart framing (boundaries, part headers) on top of an upload's own limit.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
# A chunked body's first megabyte waits in memory, the rest on disk (as Starlette's own
# multipart parser spools a file), and is replayed in pieces of REPLAY_CHUNK_BYTES.
SPOOL_MEMORY_BYTES = 1024 * 1024
REPLAY_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class BodyLimit:
    """The largest body one path accepts, and what to tell someone who sent more."""

    max_bytes: int
    advice: str = ""

    def message(self) -> str:
        size = (
            f"{self.max_bytes / MEBIBYTE:.0f} MB"
            if self.max_bytes >= MEBIBYTE
            else f"{self.max_bytes} bytes"
        )
        return f"The request is larger than {size}, the limit here. {self.advice}".strip()


def studio_upload_limits(max_zip_bytes: int, max_import_bytes: int) -> dict[str, BodyLimit]:
    """The model studio's two upload paths, for the studio and for the gateway in front."""
    return {
        "/api/studio/datasets": BodyLimit(
            max_zip_bytes + MULTIPART_OVERHEAD_BYTES, "Choose a smaller zip of images."
        ),
        "/api/studio/models/import": BodyLimit(
            max_import_bytes + MULTIPART_OVERHEAD_BYTES, "The model files are too large to import."
        ),
    }


class BodySizeLimit:
    """Refuse bodies over the limit of their path (``paths``, else ``default``) with 413."""

    def __init__(
        self, app: ASGIApp, default: BodyLimit, paths: Mapping[str, BodyLimit] | None = None
    ) -> None:
        self.app = app
        self.default = default
        self.paths = dict(paths or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope.get("path", ""), self.default)
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        too_large = length is not None and (not length.isdigit() or int(length) > limit.max_bytes)
        if length is None and headers.get(b"transfer-encoding"):
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool:
                size = await _spool_up_to(receive, spool, limit.max_bytes)
                if size is None:  # the client left before the end: nobody to answer
                    return
                if size <= limit.max_bytes:
                    await self.app(scope, _replay(spool, size, receive), send)
                    return
            too_large = True
        if too_large:
            response = error_response(413, "body_too_large", limit.message())
            response.headers["connection"] = "close"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _spool_up_to(receive: Receive, spool: IO[bytes], limit: int) -> int | None:
    """The body's size once it is all in ``spool``, or as soon as it passes ``limit``
    (then ``limit + 1`` or more: the rest is not read); None if the client disconnected."""
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return size
        spool.write(chunk)
        more = message.get("more_body", False)
    spool.seek(0)
    return size


def _replay(spool: IO[bytes], size: int, then: Receive) -> Receive:
    """The spooled body in pieces, then the connection's own messages (a disconnect)."""
    sent = 0
    done = False

    async def receive() -> Message:
        nonlocal sent, done
        if done:
            return await then()
        chunk = spool.read(REPLAY_CHUNK_BYTES)
        sent += len(chunk)
        done = sent >= size
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return receive

"""One request-body limit for every HTTP service, enforced before any handler reads a byte.

Starlette and FastAPI have no body limit of their own, so this small ASGI middleware is it.
A declared ``Content-Length`` over the limit is refused at once; a chunked body (no length)
is read up to the limit and then replayed, so it is counted like any other and gets the
same 413 instead of a parser's error halfway through. Some paths (uploads of pictures,
data sets, models) get a larger limit and their own advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import error_response

MEBIBYTE = 1024 * 1024
# Multipart framing (boundaries, part headers) on top of an upload's own limit.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


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
            too_large, body = await _read_up_to(receive, limit.max_bytes)
            if not too_large:
                receive = _replay(body)
        if too_large:
            response = error_response(413, "body_too_large", limit.message())
            response.headers["connection"] = "close"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _read_up_to(receive: Receive, limit: int) -> tuple[bool, bytes]:
    """The whole body, or ``(True, b"")`` as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False, b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return True, b""
        chunks.append(chunk)
        more = message.get("more_body", False)
    return False, b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive

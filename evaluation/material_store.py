"""Uploaded material on disk: streamed in under a hard size limit, typed by its content,
kept once per SHA-256 in the configured directory.

Why by content: a file's name or the browser's ``Content-Type`` says what the sender
claims, and a student's browser would render whatever arrives as that claim. Why streamed:
a lecture video is hundreds of megabytes, which must never sit in memory. A refused upload
leaves nothing behind (its temporary file is removed whatever went wrong).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import anyio.to_thread

from evaluation.settings import EvaluationSettings
from services.common.body_limit import BodyLimit
from services.common.errors import ApiError

# Enough of the start of a file to recognise every accepted type.
SNIFF_BYTES = 16
INCOMING = ".incoming"
MEBIBYTE = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Kind:
    kind: str  # "pdf" | "video"
    media_type: str


def sniff(head: bytes) -> Kind | None:
    """What the first bytes say the file is: PDF (``%PDF-``), MP4 (an ``ftyp`` box at
    offset 4) or WebM (the EBML magic); anything else is None."""
    if head.startswith(b"%PDF-"):
        return Kind("pdf", "application/pdf")
    if head[4:8] == b"ftyp":
        return Kind("video", "video/mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Kind("video", "video/webm")
    return None


def limit_for(kind: str, settings: EvaluationSettings) -> int:
    if kind == "pdf":
        return settings.evaluation_max_pdf_bytes
    return settings.evaluation_max_video_bytes


def _too_large(limit: int, kind: str) -> ApiError:
    what = "a PDF" if kind == "pdf" else "a video"
    return ApiError(
        413,
        "material_too_large",
        f"{what} may be at most {limit / MEBIBYTE:g} MB; nothing was stored",
    )


UNSUPPORTED = ApiError(
    415,
    "unsupported_material",
    "the file is not a PDF, an MP4 or a WebM video (checked from its content, not its "
    "name); nothing was stored",
)


@dataclass(frozen=True)
class Received:
    """A complete, accepted upload waiting in its temporary file."""

    path: Path
    kind: Kind
    size: int
    sha256: str


def material_dir(settings: EvaluationSettings) -> Path:
    return settings.evaluation_material_dir


async def receive(chunks: AsyncIterator[bytes], settings: EvaluationSettings) -> Received:
    """Stream ``chunks`` to a temporary file beside the store, hashing as they come.

    Refused (413 over the kind's limit, 415 not a PDF/MP4/WebM, 422 empty): the
    temporary file is removed and the error raised; nothing else was written.
    """
    incoming = material_dir(settings) / INCOMING
    await anyio.to_thread.run_sync(lambda: incoming.mkdir(parents=True, exist_ok=True))
    handle, name = tempfile.mkstemp(dir=incoming, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            kind, size, sha256 = await _write(chunks, file, settings)
    except ApiError:
        path.unlink(missing_ok=True)
        # Read (and drop) the rest, so the refusal reaches a sender that is still sending
        # (the gateway, a browser) instead of a connection reset; the body limit bounds it.
        async for _ in chunks:
            pass
        raise
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(path=path, kind=kind, size=size, sha256=sha256)


async def _write(
    chunks: AsyncIterator[bytes], file: IO[bytes], settings: EvaluationSettings
) -> tuple[Kind, int, str]:
    write = file.write
    digest = hashlib.sha256()
    head = b""
    kind: Kind | None = None
    size = 0
    limit = max(settings.evaluation_max_pdf_bytes, settings.evaluation_max_video_bytes)
    async for chunk in chunks:
        if not chunk:
            continue
        size += len(chunk)
        if kind is None:
            head += chunk[: SNIFF_BYTES - len(head)]
            if len(head) >= SNIFF_BYTES:
                kind = sniff(head)
                if kind is None:
                    raise UNSUPPORTED
                limit = limit_for(kind.kind, settings)
        if size > limit:
            raise _too_large(limit, kind.kind if kind else "video")
        digest.update(chunk)
        await anyio.to_thread.run_sync(write, chunk)
    if size == 0:
        raise ApiError(422, "empty_material", "the upload is empty; nothing was stored")
    kind = kind or sniff(head)
    if kind is None:
        raise UNSUPPORTED
    if size > limit_for(kind.kind, settings):
        raise _too_large(limit_for(kind.kind, settings), kind.kind)
    return kind, size, digest.hexdigest()


def keep(received: Received, settings: EvaluationSettings) -> Path:
    """Move the upload to its place (named by its SHA-256); the same bytes are kept once."""
    target = stored_path(received.sha256, settings)
    if target.exists():
        received.path.unlink(missing_ok=True)
    else:
        received.path.replace(target)
    return target


def discard(received: Received) -> None:
    received.path.unlink(missing_ok=True)


def stored_path(sha256: str, settings: EvaluationSettings) -> Path:
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256")
    return material_dir(settings) / sha256


def remove(sha256: str, settings: EvaluationSettings) -> None:
    """Delete the bytes (the caller checked no other material row names them)."""
    stored_path(sha256, settings).unlink(missing_ok=True)


def material_upload_limit(settings: EvaluationSettings) -> BodyLimit:
    """The upload path's body limit: the larger kind's (each kind's own is checked as the
    file streams in)."""
    largest = max(settings.evaluation_max_pdf_bytes, settings.evaluation_max_video_bytes)
    return BodyLimit(largest, "A PDF may be 50 MB and a video 500 MB unless configured.")

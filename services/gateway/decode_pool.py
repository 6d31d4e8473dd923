"""Where uploads are decoded: a few threads, a bounded queue, memory handed back.

Decoding a picture is CPU work off the event loop, and its memory is bounded per picture
(services/gateway/images.py, ``max_decode_bytes``); this bounds how many run at once
(``workers``, one per core by default) and how many may wait (``max_waiting``): beyond
that an upload gets 503 with ``Retry-After`` instead of queueing without end. So the
gateway's memory for decoding is at most ``workers x max_decode_bytes``.

Threads, not processes: the decode releases the GIL (Pillow's codecs), a process per
decode would cost its start-up or a worker's resident memory, and a thread pool of fixed
size uses a fixed number of malloc arenas. What glibc keeps of a large decode after it is
freed (measured: 3.56 GB resident after six bombs) is handed back with ``malloc_trim(0)``
once a decode that used more than :data:`TRIM_AFTER_BYTES` ends.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from services.common.errors import ApiError
from services.gateway.images import NormalisedImage, decode_upload

log = logging.getLogger(__name__)

TRIM_AFTER_BYTES = 16 * 1024 * 1024


def _load_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None elsewhere, e.g. musl: nothing to hand back then)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_malloc_trim = _load_malloc_trim()


class DecodePool:
    """At most ``workers`` decodes at once and ``max_waiting`` more queued."""

    def __init__(self, workers: int | None, max_waiting: int, retry_after_seconds: int) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.max_waiting = max_waiting
        self._retry_after = retry_after_seconds
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="decode")
        self._admitted = 0

    async def decode(self, data: bytes, **limits: int) -> NormalisedImage:
        """:func:`decode_upload` of ``data`` in a worker thread; 503 ``decode_busy`` when
        too many wait; ``ImageRejected`` as the decode raises it."""
        if self._admitted >= self.workers + self.max_waiting:
            raise ApiError(
                503,
                "decode_busy",
                "Many pictures are being read right now; try again in a moment.",
                headers={"Retry-After": str(self._retry_after)},
            )
        self._admitted += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, _decode_then_trim, data, limits)
        finally:
            self._admitted -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _decode_then_trim(data: bytes, limits: dict[str, int]) -> NormalisedImage:
    image = decode_upload(data, **limits)
    if _malloc_trim is not None and image.decoded_bytes >= TRIM_AFTER_BYTES:
        _malloc_trim(0)
    return image

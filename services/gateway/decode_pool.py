"""Where uploads are decoded: a few threads, a bounded queue, memory handed back.

Decoding a picture is CPU work off the event loop, and its memory is bounded per picture
(services/gateway/images.py, ``max_decode_bytes``); this bounds how many run at once
(``workers``: one per core, at most :data:`MAX_DEFAULT_WORKERS`) and how many may wait
(``max_waiting``): beyond that an upload gets 503 with ``Retry-After`` instead of queueing
without end. A waiting upload's bytes are read only once a decoder is free, so it holds
only its spooled file's first megabyte. The gateway's memory for decoding is thus at most
``workers x max_decode_bytes`` (4 x 96 MB by default, inside the pod's 1 Gi).

Threads, not processes (``scripts/bench_upload_memory.py --pools``: six of the heaviest
allowed pictures through two workers, fresh interpreters, 2 cores): threads peaked at
+131..157 MB and kept +29 MB (once: a second round adds nothing), because glibc's
``malloc_trim(0)`` after a large decode hands what it freed back to the system (without
it, six bombs had left 3.56 GB resident); spawned processes peaked at +125..135 MB and
kept +3 MB, but their two interpreters with Pillow and NumPy held 149 MB more from the
start (348 against 199 MB), and each upload's bytes are copied into them. Pillow's codecs
release the GIL, so threads decode in parallel as well (1.3 s against 1.4 s).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from services.common.errors import ApiError
from services.gateway.images import ImageRejected, NormalisedImage, decode_upload

log = logging.getLogger(__name__)

TRIM_AFTER_BYTES = 16 * 1024 * 1024
# Cores beyond this add no decoders by default: each may take max_decode_bytes, and a node's
# core count (what a container sees) says nothing about the pod's memory limit.
MAX_DEFAULT_WORKERS = 4

Decode = Callable[[bytes, dict[str, int]], NormalisedImage]


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


def default_workers() -> int:
    """One decoder per core this process may run on, at most :data:`MAX_DEFAULT_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def decode_then_trim(data: bytes, limits: dict[str, int]) -> NormalisedImage:
    """:func:`decode_upload`, then what a large decode freed handed back to the system
    (also after a damaged file, which may fail only once its pixels were allocated)."""
    try:
        image = decode_upload(data, **limits)
    except ImageRejected as rejected:
        if rejected.code == "corrupt_image":
            _trim()
        raise
    if image.decoded_bytes >= TRIM_AFTER_BYTES:
        _trim()
    return image


def _trim() -> None:
    if _malloc_trim is not None:
        _malloc_trim(0)


class DecodePool:
    """At most ``workers`` decodes at once and ``max_waiting`` more queued."""

    def __init__(
        self,
        workers: int | None,
        max_waiting: int,
        retry_after_seconds: int,
        work: Decode = decode_then_trim,
    ) -> None:
        self.workers = max(1, workers or default_workers())
        self.max_waiting = max_waiting
        self._retry_after = retry_after_seconds
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="decode")
        self._slots = asyncio.Semaphore(self.workers)
        self._admitted = 0
        self._work = work

    async def decode(self, read: Callable[[], Awaitable[bytes]], **limits: int) -> NormalisedImage:
        """Decode the bytes ``read`` gives, read once a worker is free; 503 ``decode_busy``
        when too many wait; ``ImageRejected`` as the decode raises it."""
        if self._admitted >= self.workers + self.max_waiting:
            raise ApiError(
                503,
                "decode_busy",
                "Many pictures are being read right now; try again in a moment.",
                headers={"Retry-After": str(self._retry_after)},
            )
        self._admitted += 1
        try:
            async with self._slots:
                data = await read()
                loop = asyncio.get_running_loop()
                work = loop.run_in_executor(self._executor, self._work, data, limits)
                try:
                    return await asyncio.shield(work)
                finally:
                    if not work.done():  # cancelled: the slot stays taken until it ends
                        await asyncio.wait([work])
        finally:
            self._admitted -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

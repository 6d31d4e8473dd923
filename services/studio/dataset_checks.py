"""Data-set zips are checked in a process of their own, never on the studio's event loop.

Checking decodes every picture of a zip (up to a bounded total of pixels, read from the
headers first): seconds of CPU that would stall every other request of the service if it
ran in the request. An upload is stored as ``checking`` and answered at once (202); one
worker process (``studio_dataset_check_workers``) checks the queued uploads in turn and
marks each ``ready`` or ``invalid`` with the reason; the dashboard follows the row. At
most ``studio_max_pending_checks`` uploads wait at a time (503 beyond), and rows a crash
left ``checking`` are checked again when the service starts.

The pool uses ``spawn``: forking a process that runs threads (uvicorn's, SQLAlchemy's
pool) can copy a held lock into the child.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from sqlalchemy import func, select

from services.database.dependencies import Clock
from services.database.engine import SessionFactory
from services.pipeline.custom_data import (
    DatasetLimits,
    DatasetSummary,
    InvalidDatasetError,
    inspect_zip,
)
from services.studio.models import StudioDataset
from services.studio.settings import StudioSettings

logger = logging.getLogger(__name__)
CRASHED = "the check of this zip stopped unexpectedly; upload it again"
TOO_SLOW = "checking this zip took longer than {seconds} s; use fewer or smaller pictures"


def dataset_limits(settings: StudioSettings) -> DatasetLimits:
    return DatasetLimits(
        max_zip_bytes=settings.studio_max_zip_bytes,
        max_uncompressed_bytes=settings.studio_max_unzipped_bytes,
        max_files=settings.studio_max_files,
        min_images_per_class=settings.studio_min_images_per_class,
        max_images_per_class=settings.studio_max_images_per_class,
        max_classes=settings.studio_max_classes,
        max_image_pixels=settings.studio_max_image_pixels,
        max_total_pixels=settings.studio_max_total_pixels,
    )


def check_archive(data: bytes, limits: DatasetLimits) -> tuple[DatasetSummary | None, str]:
    """In the worker process: the summary, or why the zip cannot be used."""
    try:
        return inspect_zip(data, limits), ""
    except InvalidDatasetError as error:
        return None, str(error)


def _started() -> None:
    """Run first in a new worker process, so its start-up is not counted in a check's time."""


def _new_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def _end(pool: ProcessPoolExecutor) -> ProcessPoolExecutor:
    """End ``pool``'s process at once, whatever it is doing (a check cannot be interrupted
    otherwise), and let the pool's own thread collect it."""
    # Python 3.14 has pool.kill_workers(); before it, only the pool knows its processes.
    for process in list((pool._processes or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    return pool


class DatasetChecker:
    """The worker processes, the checks in flight, and the rows they finish.

    Each worker is a pool of one process: a check that overruns its time is ended by ending
    its process (the pool is replaced), which touches no other check. A check waits for a
    free worker before its time starts.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        limits: DatasetLimits,
        clock: Clock,
        workers: int,
        timeout_seconds: float,
    ) -> None:
        self.sessions = sessions
        self.limits = limits
        self.clock = clock
        self.timeout_seconds = timeout_seconds
        self._idle = [_new_pool() for _ in range(max(1, workers))]
        self._free = asyncio.Semaphore(len(self._idle))
        self._busy: set[ProcessPoolExecutor] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def pending(self) -> int:
        with self.sessions() as session:
            query = select(func.count()).where(StudioDataset.status == "checking")
            return int(session.scalar(query) or 0)

    def start(self, dataset_id: str) -> None:
        task = asyncio.create_task(self._check(dataset_id), name=f"dataset-check-{dataset_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def resume(self) -> int:
        """Check again what a stopped service left ``checking``; how many there were."""
        with self.sessions() as session:
            left = list(
                session.scalars(
                    select(StudioDataset.id)
                    .where(StudioDataset.status == "checking")
                    .order_by(StudioDataset.created_at)
                )
            )
        for dataset_id in left:
            self.start(dataset_id)
        return len(left)

    async def wait_idle(self) -> None:
        """Until every check started so far has finished (for shutdown and tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop the checks in flight (their rows stay ``checking``, for the next start)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        for pool in [*self._idle, *self._busy]:
            _end(pool)

    async def _check(self, dataset_id: str) -> None:
        data = await asyncio.to_thread(self._archive, dataset_id)
        if data is None:
            return
        async with self._free:
            pool = self._idle.pop()
            self._busy.add(pool)
            ended = True  # also when cancelled (the service stops): the check is ended
            try:
                summary, error, ended = await self._run(pool, dataset_id, data)
            finally:
                self._busy.discard(pool)
                if ended:
                    _end(pool)
                self._idle.append(_new_pool() if ended else pool)
        await asyncio.to_thread(self._finish, dataset_id, summary, error, self.clock())

    async def _run(
        self, pool: ProcessPoolExecutor, dataset_id: str, data: bytes
    ) -> tuple[DatasetSummary | None, str, bool]:
        """Check ``data`` in ``pool``: the summary or why not, and whether the pool's
        process must be ended (it overran its time, or died)."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(pool, _started)
            summary, error = await asyncio.wait_for(
                loop.run_in_executor(pool, check_archive, data, self.limits),
                self.timeout_seconds,
            )
        except TimeoutError:
            logger.warning("data set %s: check timed out; its process is ended", dataset_id)
            return None, TOO_SLOW.format(seconds=f"{self.timeout_seconds:g}"), True
        except BrokenProcessPool:
            logger.exception("data set %s: the check's process died", dataset_id)
            return None, CRASHED, True
        return summary, error, False

    def _archive(self, dataset_id: str) -> bytes | None:
        with self.sessions() as session:
            row = session.get(StudioDataset, dataset_id)
            return row.archive if row is not None and row.status == "checking" else None

    def _finish(
        self, dataset_id: str, summary: DatasetSummary | None, error: str, now: datetime
    ) -> None:
        with self.sessions() as session:
            row = session.get(StudioDataset, dataset_id)
            if row is None:
                return
            row.checked_at = now
            if summary is None:
                row.status, row.error = "invalid", error or CRASHED
                row.archive = b""  # nothing to train on: the bytes are not kept
            else:
                row.status, row.error = "ready", None
                row.classes = [{"name": c.name, "images": c.images} for c in summary.classes]
                row.images = summary.images
                row.warnings = list(summary.warnings)
            session.commit()

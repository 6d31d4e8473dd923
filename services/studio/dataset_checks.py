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


class DatasetChecker:
    """The pool, the checks in flight, and the rows they finish."""

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
        self.workers = workers
        self.timeout_seconds = timeout_seconds
        self._pool = self._new_pool()
        self._tasks: set[asyncio.Task[None]] = set()

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context)

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
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._pool.shutdown(wait=True, cancel_futures=True)

    async def _check(self, dataset_id: str) -> None:
        data = await asyncio.to_thread(self._archive, dataset_id)
        if data is None:
            return
        loop = asyncio.get_running_loop()
        summary: DatasetSummary | None = None
        try:
            summary, error = await asyncio.wait_for(
                loop.run_in_executor(self._pool, check_archive, data, self.limits),
                self.timeout_seconds,
            )
        except TimeoutError:
            error = TOO_SLOW.format(seconds=round(self.timeout_seconds))
            logger.warning("data set %s: check timed out; the pool is replaced", dataset_id)
            self._replace_pool()
        except BrokenProcessPool:
            error = CRASHED
            logger.exception("data set %s: the check's process died", dataset_id)
            self._replace_pool()
        await asyncio.to_thread(self._finish, dataset_id, summary, error, self.clock())

    def _replace_pool(self) -> None:
        old, self._pool = self._pool, self._new_pool()
        old.shutdown(wait=False, cancel_futures=True)

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

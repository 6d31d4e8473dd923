"""On SQLite, a process's class-wide writes (consents, phase starts and finishes, quiz answers,
assignments, interaction events) are written in groups: one transaction and one commit for
every write that waits.

Why: SQLite has one write lock for the whole database, and every answer held it through its
own commit, whose fsync of the write-ahead log was 42 % of the time an answer held the lock
(a py-spy profile of ``scripts/bench_answers.py``, one client). At a class's pre-test peak
the lock was busy nearly all the time (answers held it 3.0 ms each at 324 answers a second)
and every other study request queued behind the answers. Here one thread per process
takes the writes that arrived while the previous group was being written and runs them in
one transaction, each under its own savepoint, so a refused write undoes only itself; the
lock is taken once and the log synced once for the whole group. No result is given before
its group's commit, so a stored answer is exactly as durable as before.

PostgreSQL needs none of this (its writers do not share one lock) and keeps one
transaction per request.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar, cast

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from services.common.errors import ApiError
from services.database.engine import SessionFactory

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_GROUP = 64
"""Writes in one transaction at most; a process admits fewer requests at once than this
(evaluation/admission.py), so in practice a group is every write that is waiting."""

STOP_SECONDS = 30.0
"""How long a stopping service waits for the writes already handed to the thread."""

WriteJob = Callable[[Session], T]
"""One request's writes on the group's session; it must not commit. An :class:`ApiError`
it raises refuses that request alone; any other error fails the whole group."""


@dataclass
class _Pending(Generic[T]):
    job: WriteJob[T]
    result: Future[T] = field(default_factory=Future)


class WriteGroups:
    """Owns one thread that runs waiting writes a group at a time; started and stopped by
    the app's lifespan."""

    def __init__(self, session_factory: SessionFactory, max_group: int = MAX_GROUP) -> None:
        self._session_factory = session_factory
        self._max_group = max_group
        self._waiting: queue.SimpleQueue[_Pending[Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="write-groups", daemon=True)
        self._stopped = False
        self.groups_written = 0  # commits made, for tests and benchmarks

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Write what is already waiting, then end the thread."""
        self._stopped = True
        self._waiting.put(None)
        self._thread.join(STOP_SECONDS)
        if self._thread.is_alive():
            logger.error("write groups still busy after %.0f s at shutdown", STOP_SECONDS)

    def submit(self, job: WriteJob[T]) -> Future[T]:
        """``job``'s result (or its refusal) once its group is committed."""
        if self._stopped:
            raise RuntimeError("the write groups have stopped")
        pending: _Pending[T] = _Pending(job)
        self._waiting.put(pending)
        return pending.result

    async def run(self, job: WriteJob[T]) -> T:
        """:meth:`submit`, awaited on the event loop: no thread-pool job per request."""
        return await asyncio.wrap_future(self.submit(job))

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._waiting.get()
            if first is None:
                return
            group = [first]
            while len(group) < self._max_group:
                try:
                    pending = self._waiting.get_nowait()
                except queue.Empty:
                    break
                if pending is None:
                    stopping = True
                    break
                group.append(pending)
            # A write whose request was cancelled before its turn (the client left) is not
            # made, as if it had never come; once running it can no longer be cancelled.
            group = [pending for pending in group if pending.result.set_running_or_notify_cancel()]
            if group:
                self._write(group)

    def _write(self, group: list[_Pending[Any]]) -> None:
        """Run ``group`` in one transaction; every result is given only after its commit."""
        outcomes: list[Any] = []
        try:
            with self._session_factory() as session:
                for pending in group:
                    try:
                        with session.begin_nested():
                            outcomes.append(pending.job(session))
                    except ApiError as refusal:  # its savepoint is rolled back: this one alone
                        outcomes.append(refusal)
                session.commit()
        except Exception as error:  # the group's transaction is rolled back: nothing stored
            for pending in group:
                pending.result.set_exception(error)
            return
        self.groups_written += 1
        for pending, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, ApiError):
                pending.result.set_exception(outcome)
            else:
                pending.result.set_result(outcome)


async def get_write_groups(request: Request) -> WriteGroups | None:
    """The app's grouped writes on SQLite; None on PostgreSQL."""
    return cast(WriteGroups | None, request.app.state.write_groups)


WriteGroupsDep = Annotated[WriteGroups | None, Depends(get_write_groups)]


async def write(
    groups: WriteGroups | None, session: Session, work: Callable[[Session, bool], T]
) -> T:
    """A request's writes, ``work(session, in_group)``: on SQLite one write of a group (the
    group's session; ``work`` must not commit), elsewhere one thread-pool job on the
    request's own session, which ``work`` commits."""
    if groups is not None:
        return await groups.run(lambda group: work(group, True))
    return await run_in_threadpool(work, session, False)

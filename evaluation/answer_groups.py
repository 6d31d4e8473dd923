"""On SQLite, a process's quiz answers are written in groups: one transaction, one commit each.

Why: SQLite has one write lock for the whole database, and every answer held it through its
own commit, whose fsync of the write-ahead log was 42 % of the time an answer held the lock
(a py-spy profile of ``scripts/bench_answers.py``, one client). At a class's pre-test peak
the lock was busy nearly all the time (answers held it 3.0 ms each at 324 answers a second)
and every other study request queued behind the answers. Here one thread per process
takes the answers that arrived while the previous group was being written and stores them
in one transaction, each under its own savepoint, so a refused or repeated answer undoes
only itself; the lock is taken once and the log synced once for the whole group. No receipt
is given before its group's commit, so an answer is exactly as durable as before.

PostgreSQL needs none of this (its writers do not share one lock) and keeps one
transaction per answer.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, cast

from fastapi import Depends, Request

from evaluation.answers import store_answer
from evaluation.items.snapshot import StudyFormsCache
from evaluation.schemas import AnswerReceipt, AnswerRequest
from services.common.errors import ApiError
from services.database.engine import SessionFactory

logger = logging.getLogger(__name__)

MAX_GROUP = 64
"""Answers in one transaction at most; a process admits fewer requests at once than this
(evaluation/admission.py), so in practice a group is every answer that is waiting."""

STOP_SECONDS = 30.0
"""How long a stopping service waits for the answers already handed to the writer."""


@dataclass
class _PendingAnswer:
    token: str
    request: AnswerRequest
    now: datetime
    grace: timedelta
    receipt: Future[AnswerReceipt] = field(default_factory=Future)


class AnswerGroupWriter:
    """Owns one thread that stores waiting answers a group at a time; started and stopped by
    the app's lifespan."""

    def __init__(
        self, session_factory: SessionFactory, forms: StudyFormsCache, max_group: int = MAX_GROUP
    ) -> None:
        self._session_factory = session_factory
        self._forms = forms
        self._max_group = max_group
        self._waiting: queue.SimpleQueue[_PendingAnswer | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="answer-groups", daemon=True)
        self._stopped = False
        self.groups_written = 0  # commits made, for tests and benchmarks

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Store what is already waiting, then end the thread."""
        self._stopped = True
        self._waiting.put(None)
        self._thread.join(STOP_SECONDS)
        if self._thread.is_alive():
            logger.error("answer writer still busy after %.0f s at shutdown", STOP_SECONDS)

    def submit(
        self, token: str, request: AnswerRequest, now: datetime, grace: timedelta
    ) -> Future[AnswerReceipt]:
        """The answer's receipt (or its refusal) once its group is committed."""
        if self._stopped:
            raise RuntimeError("the answer writer has stopped")
        pending = _PendingAnswer(token, request, now, grace)
        self._waiting.put(pending)
        return pending.receipt

    async def store(
        self, token: str, request: AnswerRequest, now: datetime, grace: timedelta
    ) -> AnswerReceipt:
        """:meth:`submit`, awaited on the event loop: no thread-pool job per answer."""
        return await asyncio.wrap_future(self.submit(token, request, now, grace))

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
            # An answer whose request was cancelled before its turn (the client left) is
            # not written, as if it had never come; once running it can no longer be.
            group = [pending for pending in group if pending.receipt.set_running_or_notify_cancel()]
            if group:
                self._write(group)

    def _write(self, group: list[_PendingAnswer]) -> None:
        """Store ``group`` in one transaction; every receipt is given only after its commit."""
        outcomes: list[AnswerReceipt | ApiError] = []
        try:
            with self._session_factory() as session:
                for pending in group:
                    try:
                        receipt = store_answer(
                            session,
                            pending.token,
                            pending.request,
                            pending.now,
                            pending.grace,
                            forms=self._forms,
                            in_group=True,
                        )
                    except ApiError as refusal:  # this answer alone: nothing of it was written
                        outcomes.append(refusal)
                    else:
                        outcomes.append(receipt)
                session.commit()
        except Exception as error:  # the group's transaction is rolled back: none was stored
            for pending in group:
                pending.receipt.set_exception(error)
            return
        self.groups_written += 1
        for pending, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, ApiError):
                pending.receipt.set_exception(outcome)
            else:
                pending.receipt.set_result(outcome)


async def get_answer_writer(request: Request) -> AnswerGroupWriter | None:
    """The app's writer of answers in groups on SQLite; None on PostgreSQL."""
    return cast(AnswerGroupWriter | None, request.app.state.answer_writer)


AnswerWriterDep = Annotated[AnswerGroupWriter | None, Depends(get_answer_writer)]

"""A student's request costs as few thread-pool jobs as its database work needs.

FastAPI sends every sync dependency (and a sync generator's enter and exit) to a worker
thread of its own; at a class's pre-test peak those hand-offs were a large part of an
answer's CPU (docs/sizing.md). The trivial dependencies are async now: an answer takes
one job (the participant's lookup and the answer together; none on SQLite, where the app's
write groups have a thread of their own); a read of the student's state one (the lookup,
the reads and the end of its read-only transaction together).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from tests.evaluation.conftest import instructor_client
from tests.evaluation.helpers import answer, consent, create_open_study, join, start


@pytest.fixture
def thread_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the functions sent to worker threads, in order."""
    jobs: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        jobs.append(getattr(func, "__qualname__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    yield jobs


def test_an_answer_takes_one_thread_job(
    client: TestClient, database_url: str, thread_jobs: list[str]
) -> None:
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin)["join_code"])
    consent(client, headers)
    view = start(client, headers, "pre")
    item = view["items"][0]
    thread_jobs.clear()
    response = answer(client, headers, "pre", item["id"])
    assert response.status_code == 200, response.text
    # On SQLite the app's write groups store it on their own thread (write_groups.py).
    assert len(thread_jobs) == (0 if database_url.startswith("sqlite") else 1), thread_jobs
    thread_jobs.clear()
    assert client.get("/api/student/state", headers=headers).status_code == 200
    # The lookup, the reads and the end of the read-only transaction, in one job.
    assert len(thread_jobs) == 1, thread_jobs

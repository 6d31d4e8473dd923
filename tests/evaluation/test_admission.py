"""The study service admits a bounded number of requests at once (evaluation/admission.py):
the rest wait on the event loop, and on PostgreSQL fewer threads take turns at once."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from starlette.types import Receive, Scope, Send

from evaluation.admission import DEFAULT_LIMIT, POSTGRESQL_LIMIT, AdmissionLimit, admission_limit
from evaluation.app import create_app
from tests.evaluation.conftest import make_settings


def test_no_more_than_the_limit_are_inside_at_once() -> None:
    inside = 0
    most = 0
    release = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await release.wait()
        inside -= 1

    async def noop_receive() -> dict[str, object]:
        return {"type": "http.request"}

    async def noop_send(_: object) -> None:
        return None

    async def scenario() -> None:
        limited = AdmissionLimit(app, limit=3, exempt=("/material/file",))
        scope: Scope = {"type": "http", "path": "/api/student/answers"}
        waiting = [asyncio.create_task(limited(scope, noop_receive, noop_send)) for _ in range(7)]
        await asyncio.sleep(0.05)
        assert inside == 3  # the other four wait their turn
        exempt = asyncio.create_task(
            limited({"type": "http", "path": "/material/file"}, noop_receive, noop_send)
        )
        await asyncio.sleep(0.05)
        assert inside == 4  # a file download is never queued
        release.set()
        await asyncio.gather(*waiting, exempt)

    asyncio.run(scenario())
    assert most == 4 and inside == 0


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:5432/test", POSTGRESQL_LIMIT),
        ("sqlite:////tmp/study.sqlite", DEFAULT_LIMIT),
    ],
)
def test_the_app_admits_what_its_database_serves_best(url: str, limit: int) -> None:
    assert admission_limit(url) == limit
    app = create_app(make_settings(url))
    admission = next(m for m in app.user_middleware if cast(object, m.cls) is AdmissionLimit)
    assert admission.kwargs["limit"] == limit
    assert POSTGRESQL_LIMIT < DEFAULT_LIMIT

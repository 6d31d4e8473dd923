"""The live progress view costs the same few queries for 4 students as for 40.

The measured fault: a query per student and phase (355 ms for 200 students, polled every
4 s by each instructor's dashboard).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from evaluation.dashboard import progress
from services.database.engine import make_engine, make_session_factory
from tests.databases import FakeClock
from tests.evaluation.conftest import instructor_client
from tests.evaluation.helpers import consent, create_open_study, finish, join, start


def _class(client: TestClient, code: str, students: int) -> None:
    for number in range(students):
        headers = join(client, code)
        if number % 4 == 0:
            continue  # still at the consent step
        consent(client, headers, prior_ml=number % 2 == 0)
        start(client, headers, "pre")
        if number % 4 == 1:
            continue  # in the pre-test
        finish(client, headers, "pre")
        client.post("/api/student/assignment", headers=headers)


def _queries(url: str, study_id: int, clock: FakeClock) -> tuple[int, dict[str, Any]]:
    engine = make_engine(url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        with make_session_factory(engine)() as session:
            result = progress(
                session, study_id, clock.now, timedelta(seconds=2), timedelta(minutes=3)
            )
    finally:
        engine.dispose()
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    return len(reads), result.model_dump()


def test_progress_queries_do_not_grow_with_the_class(
    client: TestClient, database_url: str, clock: FakeClock
) -> None:
    admin = instructor_client(client, database_url)
    small, large = create_open_study(admin), create_open_study(admin)
    _class(client, small["join_code"], 4)
    _class(client, large["join_code"], 40)
    clock.now += timedelta(minutes=10)  # everyone idle: the stuck list is filled too
    few, small_view = _queries(database_url, small["id"], clock)
    many, large_view = _queries(database_url, large["id"], clock)
    assert few == many <= 4, (few, many)
    counted = sum(sum(steps.values()) for steps in large_view["counts"].values())
    assert counted == 40
    assert len(large_view["stuck"]) == 40  # ten minutes idle, none done, none learning
    assert sum(sum(s.values()) for s in small_view["counts"].values()) == 4

"""On SQLite, writes that wait together are stored in one transaction (write_groups.py).

Each test hands quiz answers to write groups that are not yet running, so they wait
together as a class's answers do while a group is being written, then starts them: a real
SQLite file, the app's own session factory and forms cache.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from evaluation.answers import store_answer
from evaluation.models import AllocationLog, Answer, InteractionEvent, Participant, PhaseAttempt
from evaluation.routes import student
from evaluation.routes.student import _consent, _finish_phase, _join, _start_phase
from evaluation.schemas import (
    AnswerReceipt,
    AnswerRequest,
    ConsentRequest,
    JoinRequest,
    PhaseView,
)
from evaluation.write_groups import WriteGroups, WriteJob
from services.common.errors import ApiError
from services.database import sqlite_writes
from tests.evaluation.conftest import MakeClient, db_session, instructor_client
from tests.evaluation.helpers import consent, create_open_study, join, start

GRACE = timedelta(seconds=2)


class _Class:
    """Two students of an open study, in their pre-test, and the app that serves them."""

    def __init__(self, client: TestClient, url: str) -> None:
        admin = instructor_client(client, url)
        code = create_open_study(admin)["join_code"]
        self.client, self.url, self.study_code = client, url, code
        self.tokens: list[str] = []
        self.items: list[list[dict[str, Any]]] = []
        for _ in range(2):
            headers = join(client, code)
            consent(client, headers)
            self.items.append(start(client, headers, "pre")["items"])
            self.tokens.append(headers["Authorization"].removeprefix("Bearer "))

    def writer(self) -> _Answers:
        return _Answers(self.client)

    def engine(self) -> Engine:
        engine: Engine = self.client.app.state.session_factory.kw["bind"]  # type: ignore[attr-defined]
        return engine

    def stored(self, table: type[Answer | InteractionEvent] = Answer) -> int:
        with db_session(self.url) as session:
            return session.scalar(select(func.count()).select_from(table)) or 0


class _Answers(WriteGroups):
    """Write groups of the app's session factory that take quiz answers, as the route does."""

    def __init__(self, client: TestClient) -> None:
        state = client.app.state  # type: ignore[attr-defined]
        super().__init__(state.session_factory)
        self.forms = state.study_forms

    def answer(self, token: str, request: AnswerRequest, now: datetime) -> Future[AnswerReceipt]:
        forms = self.forms
        return self.submit(
            lambda group: store_answer(
                group, token, request, now, GRACE, forms=forms, in_group=True
            )
        )


@pytest.fixture
def school(make_client: MakeClient, sqlite_url: str) -> _Class:
    return _Class(make_client(sqlite_url), sqlite_url)


@pytest.fixture
def commits(school: _Class) -> Iterator[list[int]]:
    """One entry per transaction the app's engine commits."""
    made: list[int] = []

    def count(_connection: Any) -> None:
        made.append(1)

    event.listen(school.engine(), "commit", count)
    yield made
    event.remove(school.engine(), "commit", count)


def _request(item_id: int, choice: int = 0, submission_id: str | None = None) -> AnswerRequest:
    return AnswerRequest(
        submission_id=submission_id or uuid.uuid4().hex,
        phase="pre",
        item_id=item_id,
        choice_index=choice,
    )


def _outcome(future: Future[AnswerReceipt]) -> AnswerReceipt | str:
    """The receipt, or the refusal's error code."""
    try:
        return future.result(timeout=30)
    except ApiError as refusal:
        return refusal.code


def test_waiting_answers_share_one_commit_and_each_refusal_undoes_only_itself(
    school: _Class, commits: list[int]
) -> None:
    writer = school.writer()
    now = school.client.app.state.clock()  # type: ignore[attr-defined]
    first, second = school.tokens
    items = [item["id"] for item in school.items[0]]
    repeated = uuid.uuid4().hex
    submitted = [
        writer.answer(first, _request(items[0], submission_id=repeated), now),
        writer.answer(first, _request(items[1]), now),
        # the same answer again (a retry): the first one's receipt
        writer.answer(first, _request(items[0], submission_id=repeated), now),
        # the same item with a new submission id: refused, the group goes on
        writer.answer(first, _request(items[1]), now),
        writer.answer(first, _request(max(items) + 1000), now),  # not on the form
        writer.answer(first, _request(items[2], choice=5), now),  # no such option
        writer.answer("not-a-token", _request(items[2]), now),
        writer.answer(second, _request(school.items[1][0]["id"]), now),
    ]
    savepoints: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("SAVEPOINT"):
            savepoints.append(statement)

    event.listen(school.engine(), "before_cursor_execute", count)
    commits.clear()
    writer.start()
    outcomes = [_outcome(future) for future in submitted]
    writer.stop()

    assert outcomes[3:7] == [
        "already_answered",
        "unknown_item",
        "invalid_choice",
        "not_authenticated",
    ]
    receipts = [outcomes[i] for i in (0, 1, 2, 7)]
    assert all(isinstance(receipt, AnswerReceipt) for receipt in receipts), outcomes
    assert outcomes[2] == outcomes[0]
    event.remove(school.engine(), "before_cursor_execute", count)
    assert (writer.groups_written, len(commits), len(savepoints)) == (1, 1, len(submitted))
    assert school.stored() == 3


def test_a_group_that_cannot_be_written_fails_every_answer_and_stores_none(
    school: _Class, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program holds the database's write lock past the writer's patience."""
    monkeypatch.setattr(sqlite_writes, "WRITE_LOCK_TIMEOUT_SECONDS", 0.5)
    writer = school.writer()
    now = school.client.app.state.clock()  # type: ignore[attr-defined]
    submitted = [
        writer.answer(token, _request(items[0]["id"]), now)
        for token, items in zip(school.tokens, school.items, strict=True)
    ]
    with db_session(school.url) as other:
        other.execute(text("SELECT 1"))  # its BEGIN IMMEDIATE takes the write lock
        writer.start()
        for future in submitted:
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                future.result(timeout=30)
    # the writer carries on with the next group
    again = writer.answer(school.tokens[0], _request(school.items[0][0]["id"]), now)
    assert isinstance(again.result(timeout=30), AnswerReceipt)
    writer.stop()
    assert school.stored() == 1


def test_an_answer_cancelled_before_its_turn_is_not_stored(school: _Class) -> None:
    writer = school.writer()
    now = school.client.app.state.clock()  # type: ignore[attr-defined]
    left, stays = (
        writer.answer(token, _request(items[0]["id"]), now)
        for token, items in zip(school.tokens, school.items, strict=True)
    )
    assert left.cancel()  # the client went away while the answer waited
    writer.start()
    assert isinstance(stays.result(timeout=30), AnswerReceipt)
    writer.stop()
    assert school.stored() == 1


def test_stopping_stores_what_waits_then_refuses_new_answers(school: _Class) -> None:
    writer = school.writer()
    now = school.client.app.state.clock()  # type: ignore[attr-defined]
    waiting = writer.answer(school.tokens[0], _request(school.items[0][0]["id"]), now)
    writer.start()
    writer.stop()
    assert isinstance(waiting.result(timeout=0), AnswerReceipt)
    with pytest.raises(RuntimeError):
        writer.answer(school.tokens[1], _request(school.items[1][0]["id"]), now)
    assert school.stored() == 1


def test_sqlite_answers_and_events_go_through_the_apps_write_groups(school: _Class) -> None:
    """The routes send answers and events to the app's write groups on SQLite (PostgreSQL
    has none); a refused batch of events stores none of them."""
    writer: WriteGroups = school.client.app.state.write_groups  # type: ignore[attr-defined]
    before = writer.groups_written
    response = school.client.post(
        "/api/student/answers",
        json=_request(school.items[0][0]["id"]).model_dump(),
        headers={"Authorization": f"Bearer {school.tokens[0]}"},
    )
    assert response.status_code == 200, response.text
    assert writer.groups_written == before + 1
    events = {
        "events": [{"kind": "view", "client_time_ms": 1}, {"kind": "view", "client_time_ms": 2}]
    }
    headers = {"Authorization": f"Bearer {school.tokens[1]}"}
    response = school.client.post("/api/student/events", json=events, headers=headers)
    assert (response.status_code, response.json()) == (200, {"stored": 2})
    assert (writer.groups_written, school.stored(InteractionEvent)) == (before + 2, 2)
    too_many = {"events": [{"kind": "view", "client_time_ms": 1}] * 201}  # the limit is 200
    response = school.client.post("/api/student/events", json=too_many, headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (413, "too_many_events")
    assert school.stored(InteractionEvent) == 2


def test_an_answer_that_waits_past_the_lock_timeout_is_a_503_and_is_not_stored(
    school: _Class, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_writes, "WRITE_LOCK_TIMEOUT_SECONDS", 0.5)
    with db_session(school.url) as other:
        other.execute(text("SELECT 1"))  # its BEGIN IMMEDIATE takes the write lock
        response = school.client.post(
            "/api/student/answers",
            json=_request(school.items[0][0]["id"]).model_dump(),
            headers={"Authorization": f"Bearer {school.tokens[0]}"},
        )
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["Retry-After"]
    assert school.stored() == 0


def test_a_students_state_and_outcome_are_read_without_waiting_for_the_write_lock(
    school: _Class, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page reload during a class's peak does not queue behind the writers."""
    monkeypatch.setattr(sqlite_writes, "WRITE_LOCK_TIMEOUT_SECONDS", 0.5)
    headers = {"Authorization": f"Bearer {school.tokens[0]}"}
    with db_session(school.url) as other:
        other.execute(text("SELECT 1"))  # its BEGIN IMMEDIATE takes the write lock
        state = school.client.get("/api/student/state", headers=headers)
        outcome = school.client.get("/api/student/outcome", headers=headers)
        answer = school.client.post(
            "/api/student/answers",
            json=_request(school.items[0][0]["id"]).model_dump(),
            headers=headers,
        )
    assert (state.status_code, state.json()["step"]) == (200, "pre_test")
    # not done yet: the outcome's refusal, read without the lock as well
    assert (outcome.status_code, outcome.json()["error"]["code"]) == (409, "wrong_step")
    assert answer.status_code == 503  # a write still waits for the lock, and gives up


def test_a_double_start_in_one_group_starts_the_phase_once(school: _Class) -> None:
    headers = join(school.client, school.study_code)
    consent(school.client, headers)
    token = headers["Authorization"].removeprefix("Bearer ")
    state = school.client.app.state  # type: ignore[attr-defined]
    groups = WriteGroups(state.session_factory)
    now = state.clock()

    def start_pre(group: Session) -> PhaseView:
        return _start_phase("pre", token, group, now, GRACE, forms=state.study_forms, in_group=True)

    def finish_post(group: Session) -> PhaseView:
        return _finish_phase(
            "post", token, group, now, GRACE, forms=state.study_forms, in_group=True
        )

    submitted = [groups.submit(start_pre), groups.submit(finish_post), groups.submit(start_pre)]
    groups.start()
    first = submitted[0].result(timeout=30)
    with pytest.raises(ApiError, match="has not started"):
        submitted[1].result(timeout=30)
    again = submitted[2].result(timeout=30)
    groups.stop()
    assert groups.groups_written == 1
    assert (again.deadline_at, again.items) == (first.deadline_at, first.items)
    with db_session(school.url) as session:
        starts = session.scalar(
            select(func.count()).select_from(PhaseAttempt).where(PhaseAttempt.phase == "pre")
        )
    assert starts == 3  # the two students of the class, and this one once


def test_consents_in_one_group_take_one_slot_each_and_a_double_press_one(
    school: _Class,
) -> None:
    tokens = [
        join(school.client, school.study_code)["Authorization"].removeprefix("Bearer ")
        for _ in range(4)
    ]
    state = school.client.app.state  # type: ignore[attr-defined]
    groups = WriteGroups(state.session_factory)
    now = state.clock()
    choice = ConsentRequest(choice="participate", prior_ml=False)

    def consenting(token: str) -> WriteJob[None]:
        return lambda group: _consent(choice, token, group, now, in_group=True)

    submitted = [groups.submit(consenting(token)) for token in [*tokens, tokens[0]]]
    groups.start()
    for future in submitted:
        future.result(timeout=30)
    groups.stop()
    assert groups.groups_written == 1
    with db_session(school.url) as session:
        slots = session.execute(
            select(AllocationLog.participant_id, AllocationLog.sequence, AllocationLog.slot)
            .where(AllocationLog.kind == "form_order")
            .order_by(AllocationLog.id)
        ).all()
    # the class's two students, then these four once each, in one sequence's next slots
    assert len(slots) == 6 and len({row.participant_id for row in slots}) == 6
    sequences = {row.sequence for row in slots}
    assert len(sequences) == 1 and [row.slot for row in slots] == list(
        range(slots[0].slot, slots[0].slot + 6)
    )


def test_joins_in_one_group_each_get_a_code_and_a_taken_code_is_drawn_again(
    school: _Class, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A code already taken undoes only that student's own savepoint: the other joins of
    the group are kept, and that student gets the next code drawn."""
    with db_session(school.url) as session:
        taken = session.scalars(select(Participant.code)).first()
    drawn = iter([taken, "P-AAAAAA", "P-BBBBBB", "P-BBBBBB", "P-CCCCCC"])
    monkeypatch.setattr(student, "new_participant_code", lambda: next(drawn))
    state = school.client.app.state  # type: ignore[attr-defined]
    groups = WriteGroups(state.session_factory)
    now = state.clock()
    request = JoinRequest(code=school.study_code)
    submitted = [
        groups.submit(lambda group: _join(request, group, now, in_group=True)) for _ in range(3)
    ]
    groups.start()
    codes = [future.result(timeout=30).participant_code for future in submitted]
    groups.stop()
    assert groups.groups_written == 1
    assert codes == ["P-AAAAAA", "P-BBBBBB", "P-CCCCCC"]
    with db_session(school.url) as session:
        stored = session.scalars(select(Participant.code)).all()
    assert len(stored) == 5 and set(codes) <= set(stored)  # the class's two, and these three


def test_sqlite_joins_go_through_the_apps_write_groups(school: _Class) -> None:
    writer: WriteGroups = school.client.app.state.write_groups  # type: ignore[attr-defined]
    before = writer.groups_written
    response = school.client.post("/api/student/join", json={"code": school.study_code})
    assert response.status_code == 201, response.text
    assert writer.groups_written == before + 1
    unknown = school.client.post("/api/student/join", json={"code": "NOPE-NOPE"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_code")

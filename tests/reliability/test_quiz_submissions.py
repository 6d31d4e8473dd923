"""Quiz answers through the gateway onto PostgreSQL: replayed, concurrent, oversized,
malformed and unknown submissions get a 4xx or the same receipt, never a second row.

tests/evaluation covers one retry, two copies at once and single malformed fields in
process; here the requests cross the gateway's forwarding and hit the database many at
a time, as forty students double-clicking on a slow network would.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from evaluation.models import Answer, Participant
from tests.evaluation.conftest import db_session
from tests.reliability.platform import ProcessPlatform
from tests.reliability.test_access import login, open_study

COPIES = 20


def count_answers(platform: ProcessPlatform, **where: Any) -> int:
    with db_session(platform.database_url) as session:
        query = select(func.count()).select_from(Answer)
        for column, value in where.items():
            query = query.where(getattr(Answer, column) == value)
        return int(session.scalar(query) or 0)


class Student:
    def __init__(self, client: httpx.Client, study: dict[str, Any]) -> None:
        joined = client.post("/api/student/join", json={"code": study["join_code"]})
        assert joined.status_code == 201, joined.text
        self.headers = {"Authorization": f"Bearer {joined.json()['token']}"}
        consent = {"choice": "participate", "prior_ml": False}
        assert client.post("/api/student/consent", json=consent, headers=self.headers).is_success
        view = client.post("/api/student/phases/pre/start", headers=self.headers).json()
        self.items: list[dict[str, Any]] = view["items"]
        self.participant = client.get("/api/student/state", headers=self.headers).json()

    def answer(self, item: int, choice: int = 0, submission_id: str = "") -> dict[str, Any]:
        return {
            "submission_id": submission_id or uuid.uuid4().hex,
            "phase": "pre",
            "item_id": self.items[item]["id"],
            "choice_index": choice,
        }


@pytest.fixture(scope="module")
def client(platform: ProcessPlatform) -> httpx.Client:
    return httpx.Client(base_url=platform.gateway_url, timeout=60)


@pytest.fixture(scope="module")
def study(client: httpx.Client, platform: ProcessPlatform) -> dict[str, Any]:
    return open_study(client, login(client, platform.database_url))


def post_at_once(
    platform: ProcessPlatform, bodies: list[dict[str, Any]], headers: dict[str, str]
) -> list[httpx.Response]:
    async def send() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(bodies))
        async with httpx.AsyncClient(
            base_url=platform.gateway_url, timeout=60, limits=limits
        ) as session:
            return await asyncio.gather(
                *(session.post("/api/student/answers", json=b, headers=headers) for b in bodies)
            )

    return asyncio.run(send())


def test_twenty_copies_at_once_store_one_answer(
    client: httpx.Client, study: dict[str, Any], platform: ProcessPlatform
) -> None:
    student = Student(client, study)
    body = student.answer(0, choice=2)
    replies = post_at_once(platform, [body] * COPIES, student.headers)
    assert [reply.status_code for reply in replies] == [200] * COPIES
    assert len({reply.text for reply in replies}) == 1
    assert count_answers(platform, submission_id=body["submission_id"]) == 1


def test_a_double_click_with_new_ids_stores_the_first_only(
    client: httpx.Client, study: dict[str, Any], platform: ProcessPlatform
) -> None:
    """Twenty different submissions for one item at once: one is stored, the rest are 409."""
    student = Student(client, study)
    bodies = [student.answer(1, choice=n % 4) for n in range(COPIES)]
    replies = post_at_once(platform, bodies, student.headers)
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [200] + [409] * (COPIES - 1)
    refused = [r.json()["error"]["code"] for r in replies if r.status_code == 409]
    assert set(refused) == {"already_answered"}
    stored = [b["submission_id"] for b, r in zip(bodies, replies, strict=True) if r.is_success]
    assert count_answers(platform, item_id=bodies[0]["item_id"], submission_id=stored[0]) == 1
    total = sum(count_answers(platform, submission_id=b["submission_id"]) for b in bodies)
    assert total == 1


def test_replays_are_recognised_even_after_the_phase_is_over(
    client: httpx.Client, study: dict[str, Any], platform: ProcessPlatform
) -> None:
    student = Student(client, study)
    body = student.answer(2, choice=1)
    first = client.post("/api/student/answers", json=body, headers=student.headers)
    assert first.status_code == 200
    finish = client.post("/api/student/phases/pre/finish", headers=student.headers)
    assert finish.status_code == 200
    replay = client.post("/api/student/answers", json=body, headers=student.headers)
    assert replay.status_code == 200 and replay.json() == first.json()
    late = client.post("/api/student/answers", json=student.answer(3), headers=student.headers)
    assert late.status_code == 409 and late.json()["error"]["code"] == "phase_over"
    changed = client.post(
        "/api/student/answers", json={**body, "choice_index": 3}, headers=student.headers
    )
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "submission_id_reused"
    assert count_answers(platform, submission_id=body["submission_id"]) == 1


def test_another_student_cannot_replay_or_overwrite_an_answer(
    client: httpx.Client, study: dict[str, Any], platform: ProcessPlatform
) -> None:
    owner, other = Student(client, study), Student(client, study)
    body = owner.answer(0, choice=1)
    assert client.post("/api/student/answers", json=body, headers=owner.headers).is_success
    stolen = client.post(
        "/api/student/answers",
        json={**body, "item_id": other.items[0]["id"]},
        headers=other.headers,
    )
    assert stolen.status_code == 409
    assert stolen.json()["error"]["code"] == "submission_id_reused"
    assert count_answers(platform, submission_id=body["submission_id"]) == 1


MALFORMED: dict[str, tuple[Any, int]] = {
    # name: (body, status)
    "not json": (b"{answer", 422),
    "a list": ([1, 2, 3], 422),
    "empty object": ({}, 422),
    "unknown field": ({"extra": 1}, 422),
    "submission id too short": ({"submission_id": "short"}, 422),
    "submission id too long": ({"submission_id": "a" * 65}, 422),
    "submission id with a slash": ({"submission_id": "abcd/efgh"}, 422),
    "phase learning": ({"phase": "learning"}, 422),
    "phase post before it started": ({"phase": "post"}, 409),
    "item id 0": ({"item_id": 0}, 422),
    "item id 2**31": ({"item_id": 2**31}, 422),
    "unknown item id": ({"item_id": 2**31 - 1}, 422),
    "choice index -1": ({"choice_index": -1}, 422),
    "choice index out of range": ({"choice_index": 5}, 422),
    "choice index a string": ({"choice_index": "1"}, 422),
    "choice index a float": ({"choice_index": 1.5}, 422),
    "oversized body (300 KB)": ({"submission_id": "x" * 300_000}, 413),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_or_oversized_submissions_store_nothing(
    name: str, client: httpx.Client, study: dict[str, Any], platform: ProcessPlatform
) -> None:
    student = Student(client, study)
    good = student.answer(4)
    change, status = MALFORMED[name]
    if isinstance(change, bytes):
        response = client.post(
            "/api/student/answers",
            content=change,
            headers=student.headers | {"content-type": "application/json"},
        )
    else:
        body = {**good, **change} if isinstance(change, dict) and change else change
        response = client.post("/api/student/answers", json=body, headers=student.headers)
    assert response.status_code == status, response.text
    assert set(response.json()["error"]) == {"code", "message"}
    assert count_answers(platform, submission_id=good["submission_id"]) == 0
    with db_session(platform.database_url) as session:
        code = student.participant["participant_code"]
        stored = session.scalar(
            select(func.count())
            .select_from(Answer)
            .join(Participant, Participant.id == Answer.participant_id)
            .where(Participant.code == code)
        )
    assert stored == 0
    assert client.post("/api/student/answers", json=good, headers=student.headers).is_success

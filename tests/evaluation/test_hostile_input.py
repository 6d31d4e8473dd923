"""Inputs that could crash a careless service get a 4xx in the error shape instead."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evaluation.models import Answer, InteractionEvent, Participant
from tests.evaluation.conftest import db_session, instructor_client
from tests.evaluation.helpers import consent, create_open_study, join, start


def assert_refused(response_status: int, body: dict[str, object]) -> None:
    assert 400 <= response_status < 500, body
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message"}


def test_hostile_inputs_are_refused(client: TestClient, database_url: str) -> None:
    admin = instructor_client(client, database_url)
    study = create_open_study(admin)
    headers = join(client, study["join_code"])
    consent(client, headers)
    item = start(client, headers, "pre")["items"][0]
    answer = {"submission_id": "abcdefgh", "phase": "pre", "item_id": item["id"], "choice_index": 0}
    json_headers = {**headers, "content-type": "application/json"}
    attempts = [
        client.post("/api/student/join", json={"code": "AB\x00CD"}),
        client.post("/api/instructor/login", json={"email": "a\x00@b.c", "password": "x"}),
        client.post("/api/student/answers", json={**answer, "item_id": 10**30}, headers=headers),
        client.post("/api/student/answers", json={**answer, "item_id": 2**31}, headers=headers),
        client.post("/api/student/answers", json={**answer, "choice_index": True}, headers=headers),
        client.post(
            "/api/student/answers",
            json={**answer, "submission_id": "ab\x00cdefgh"},
            headers=headers,
        ),
        client.post(
            "/api/student/answers", content=b"[" * 100_000 + b"]" * 100_000, headers=json_headers
        ),
        client.post(
            "/api/student/events",
            content=b'{"events": [{"kind": "x", "client_time_ms": 1, "payload": {"v": NaN}}]}',
            headers=json_headers,
        ),
        client.post(
            "/api/student/events",
            json={"events": [{"kind": "x", "client_time_ms": 1, "payload": {"v": "a\x00"}}]},
            headers=headers,
        ),
        client.post(
            "/api/student/events",
            json={"events": [{"kind": "x", "client_time_ms": 10**30}]},
            headers=headers,
        ),
        # 900 levels deep in 2 KB: refused, not a stack overflow and a 500 with a traceback.
        client.post(
            "/api/student/events",
            content=b'{"events": [{"kind": "x", "client_time_ms": 1, "payload": '
            + b'{"a":' * 900
            + b"1"
            + b"}" * 900
            + b"}]}",
            headers=json_headers,
        ),
        admin.get("/api/instructor/studies/99999999999999999999"),
        admin.get("/api/instructor/studies/0"),
        admin.post("/api/instructor/studies/1/explode"),
        admin.post(
            "/api/instructor/studies",
            json={"title": "t\x00", "consent_text": "c", "learning_seconds": 10**20},
        ),
        admin.post(
            "/api/instructor/items/import",
            content=json.dumps({"items": [{"key": "Z1", "stem": "\x00"}]}).encode(),
            headers={"content-type": "application/json"},
        ),
        client.get("/api/student/state", headers={"Authorization": "Bearer " + "x" * 5000}),
    ]
    for response in attempts:
        assert_refused(response.status_code, response.json())
    with db_session(database_url) as session:
        # This study's events only: the PostgreSQL database is shared by the session's tests.
        events = (
            select(func.count())
            .select_from(InteractionEvent)
            .join(Participant, Participant.id == InteractionEvent.participant_id)
            .where(Participant.study_id == study["id"])
        )
        assert session.scalar(events) == 0
        stored = session.scalar(
            select(func.count()).select_from(Answer).where(Answer.submission_id == "abcdefgh")
        )
        assert stored == 0
    assert client.post("/api/student/answers", json=answer, headers=headers).status_code == 200

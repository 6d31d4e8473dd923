"""The whole student path on PostgreSQL and SQLite: resumable, timed, idempotent."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evaluation.models import Answer, InteractionEvent, Participant, PhaseAttempt
from tests.evaluation.conftest import FakeClock, db_session, instructor_client
from tests.evaluation.helpers import (
    ITEMS_PER_FORM,
    answer_items,
    consent,
    create_open_study,
    finish,
    join,
    start,
    state,
)


def questionnaire_and_outcome(client: TestClient, headers: dict[str, str]) -> None:
    """The last steps of the full flow: the questionnaire, then scores and explanations."""
    assert client.get("/api/student/outcome", headers=headers).status_code == 409
    for bad in ({"umux_capabilities": 0}, {"umux_ease": 8}, {"mental_effort": 10}):
        body = {"umux_capabilities": 6, "umux_ease": 7, "mental_effort": 4, **bad}
        response = client.post("/api/student/questionnaire", json=body, headers=headers)
        assert response.status_code == 422
    response = client.post(
        "/api/student/questionnaire",
        json={"umux_capabilities": 6, "umux_ease": 7, "mental_effort": 4},
        headers=headers,
    )
    assert response.status_code == 204, response.text
    assert state(client, headers)["step"] == "done"
    changed = {"umux_capabilities": 1, "umux_ease": 1, "mental_effort": 1}
    response = client.post("/api/student/questionnaire", json=changed, headers=headers)
    assert response.status_code == 409

    outcome = client.get("/api/student/outcome", headers=headers).json()
    assert (outcome["pre_score"], outcome["post_score"]) == (11, 13)
    assert outcome["pre_total"] == outcome["post_total"] == ITEMS_PER_FORM
    assert all(item["explanation"] for item in outcome["items"])
    assert len(outcome["items"]) == 2 * ITEMS_PER_FORM


def test_full_flow_resumes_and_ends_with_scores(
    client: TestClient, database_url: str, clock: FakeClock
) -> None:
    admin = instructor_client(client, database_url)
    study = create_open_study(admin)
    headers = join(client, study["join_code"].lower())
    resumed_at_consent = state(client, headers)
    assert resumed_at_consent["step"] == "consent"
    assert resumed_at_consent["consent_text"] == study["consent_text"]
    consent(client, headers, prior_ml=True)
    assert state(client, headers)["step"] == "pre_test"

    pre = start(client, headers, "pre")
    assert pre["form"] in ("A", "B") and len(pre["items"]) >= 10
    assert "correct_index" not in pre["items"][0]
    answer_items(client, headers, {**pre, "items": pre["items"][:3]}, n_correct=3)
    # A reload resumes the same attempt with the answers given so far.
    resumed = state(client, headers)
    assert resumed["step"] == "pre_test"
    assert resumed["phase"]["started_at"] == pre["started_at"]
    assert len(resumed["phase"]["answered"]) == 3
    assert start(client, headers, "pre")["deadline_at"] == pre["deadline_at"]
    answer_items(client, headers, {**pre, "items": pre["items"][3:]}, n_correct=8)
    finish(client, headers, "pre")
    assert state(client, headers)["step"] == "assignment"

    assigned = client.post("/api/student/assignment", headers=headers)
    assert assigned.status_code == 200, assigned.text
    condition = assigned.json()["condition"]
    assert condition in ("cnn101", "conventional")
    assert assigned.json()["stratum"] == "high|ml_yes"  # 11 of 16 correct
    again = client.post("/api/student/assignment", headers=headers)
    assert again.json() == assigned.json()

    # A student who does not start the learning phase shows up as stuck on the dashboard.
    clock.advance(200)
    dashboard = f"/api/instructor/studies/{study['id']}/progress"
    stuck = admin.get(dashboard).json()["stuck"]
    assert [(s["step"], s["idle_seconds"]) for s in stuck] == [("learning", 200)]
    learning = start(client, headers, "learning")
    assert admin.get(dashboard).json()["stuck"] == []
    assert learning["form"] is None and learning["items"] == []
    assert learning["condition"] == condition
    assert state(client, headers)["condition"] == condition
    # The post-test opens only when the learning time is over.
    refused = client.post("/api/student/phases/post/start", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "wrong_step"
    clock.advance(600)
    assert state(client, headers)["step"] == "post_test"
    post = start(client, headers, "post")
    assert post["form"] != pre["form"]
    answer_items(client, headers, post, n_correct=13)
    finish(client, headers, "post")
    assert state(client, headers)["step"] == "questionnaire"
    questionnaire_and_outcome(client, headers)


def test_retried_submission_is_stored_once(client: TestClient, database_url: str) -> None:
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin)["join_code"])
    consent(client, headers)
    item = start(client, headers, "pre")["items"][0]
    body = {
        "submission_id": uuid.uuid4().hex,
        "phase": "pre",
        "item_id": item["id"],
        "choice_index": 1,
    }
    first = client.post("/api/student/answers", json=body, headers=headers)
    retry = client.post("/api/student/answers", json=body, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert first.json() == retry.json()
    other_choice = client.post(
        "/api/student/answers",
        json={**body, "submission_id": uuid.uuid4().hex, "choice_index": 2},
        headers=headers,
    )
    assert other_choice.status_code == 409
    assert other_choice.json()["error"]["code"] == "already_answered"
    reused = client.post("/api/student/answers", json={**body, "choice_index": 3}, headers=headers)
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "submission_id_reused"
    with db_session(database_url) as session:
        stored = session.scalars(
            select(Answer).where(Answer.submission_id == body["submission_id"])
        )
        assert [answer.choice_index for answer in stored] == [1]


def test_time_limit_is_enforced_by_the_server(
    client: TestClient, database_url: str, clock: FakeClock
) -> None:
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin, pre_test_seconds=60)["join_code"])
    consent(client, headers)
    items = start(client, headers, "pre")["items"]
    clock.advance(61)  # within the 2 s grace: still accepted
    late_ok = {
        "submission_id": uuid.uuid4().hex,
        "phase": "pre",
        "item_id": items[0]["id"],
        "choice_index": 0,
    }
    assert client.post("/api/student/answers", json=late_ok, headers=headers).status_code == 200
    clock.advance(5)
    too_late = {**late_ok, "submission_id": uuid.uuid4().hex, "item_id": items[1]["id"]}
    response = client.post("/api/student/answers", json=too_late, headers=headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "phase_over"
    assert state(client, headers)["step"] == "assignment"
    assert client.post("/api/student/assignment", headers=headers).status_code == 200
    with db_session(database_url) as session:
        attempt = session.scalars(select(PhaseAttempt).where(PhaseAttempt.phase == "pre")).all()
        mine = [a for a in attempt if a.finish_reason == "time_limit"]
        assert mine and all(a.finished_at == a.deadline_at for a in mine)


def test_bad_input_gets_4xx_and_changes_nothing(client: TestClient, database_url: str) -> None:
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin)["join_code"])
    consent(client, headers)
    items = start(client, headers, "pre")["items"]
    good = {
        "submission_id": uuid.uuid4().hex,
        "phase": "pre",
        "item_id": items[0]["id"],
        "choice_index": 0,
    }
    bad_bodies = [
        {**good, "choice_index": 9},
        {**good, "choice_index": -1},
        {**good, "item_id": 10**9},
        {**good, "phase": "learning"},
        {**good, "submission_id": "x"},
        {**good, "extra": 1},
        {"submission_id": good["submission_id"]},
        [],
        "not json",
    ]
    for body in bad_bodies:
        response = client.post("/api/student/answers", json=body, headers=headers)
        assert 400 <= response.status_code < 500, (body, response.text)
        assert set(response.json()["error"]) == {"code", "message"}
    wrong_form = next(i for i in range(1, 40) if i not in {item["id"] for item in items})
    response = client.post(
        "/api/student/answers", json={**good, "item_id": wrong_form}, headers=headers
    )
    assert response.status_code == 422
    garbage = client.post(
        "/api/student/answers",
        content=b"\xff\x00{",
        headers={**headers, "content-type": "application/json"},
    )
    assert garbage.status_code == 400
    assert set(garbage.json()["error"]) == {"code", "message"}
    huge = client.post(
        "/api/student/answers", content=b"{" + b" " * 300_000 + b"}", headers=headers
    )
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "body_too_large"
    assert client.get("/api/student/state").status_code == 401
    assert (
        client.get("/api/student/state", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    with db_session(database_url) as session:
        participant = session.scalars(select(Participant).order_by(Participant.id.desc())).first()
        assert participant is not None
        count = session.scalar(
            select(func.count()).select_from(Answer).where(Answer.participant_id == participant.id)
        )
        assert count == 0
    # The valid answer still goes through afterwards.
    assert client.post("/api/student/answers", json=good, headers=headers).status_code == 200


def test_consent_choices(client: TestClient, database_url: str) -> None:
    admin = instructor_client(client, database_url)
    code = create_open_study(admin)["join_code"]
    declined = join(client, code)
    response = client.post("/api/student/consent", json={"choice": "decline"}, headers=declined)
    assert response.status_code == 204
    assert state(client, declined)["step"] == "declined"
    assert client.post("/api/student/phases/pre/start", headers=declined).status_code == 409
    free = join(client, code)
    client.post("/api/student/consent", json={"choice": "no_data"}, headers=free)
    assert state(client, free)["step"] == "free_use"
    events = {"events": [{"kind": "view.open", "client_time_ms": 1}]}
    assert client.post("/api/student/events", json=events, headers=free).status_code == 409
    missing = client.post(
        "/api/student/consent", json={"choice": "participate"}, headers=join(client, code)
    )
    assert missing.status_code == 422
    changed = client.post(
        "/api/student/consent", json={"choice": "participate", "prior_ml": False}, headers=free
    )
    assert changed.status_code == 409


def test_events_and_withdrawal(client: TestClient, database_url: str) -> None:
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin)["join_code"])
    consent(client, headers)
    answer_items(client, headers, start(client, headers, "pre"), n_correct=2)
    batch = {
        "events": [
            {"kind": "view.open", "client_time_ms": 10, "payload": {"view": "overview"}},
            {
                "kind": "neuron.click",
                "client_time_ms": 20,
                "payload": {"layer": "conv_1_1", "unit": 3},
            },
        ]
    }
    response = client.post("/api/student/events", json=batch, headers=headers)
    assert response.status_code == 200 and response.json() == {"stored": 2}
    too_many = {"events": [{"kind": "x", "client_time_ms": 1}] * 201}
    assert client.post("/api/student/events", json=too_many, headers=headers).status_code == 413
    big_payload = {"events": [{"kind": "x", "client_time_ms": 1, "payload": {"p": "y" * 3000}}]}
    assert client.post("/api/student/events", json=big_payload, headers=headers).status_code == 422
    bad_kind = {"events": [{"kind": "<script>", "client_time_ms": 1}]}
    assert client.post("/api/student/events", json=bad_kind, headers=headers).status_code == 422

    with db_session(database_url) as session:
        participant_id = session.scalars(
            select(Participant.id).order_by(Participant.id.desc())
        ).first()
    assert client.delete("/api/student/me", headers=headers).status_code == 204
    assert client.get("/api/student/state", headers=headers).status_code == 401
    with db_session(database_url) as session:
        assert session.get(Participant, participant_id) is None
        for table in (Answer, InteractionEvent, PhaseAttempt):
            left = session.scalar(
                select(func.count())
                .select_from(table)
                .where(table.participant_id == participant_id)
            )
            assert left == 0


def test_closed_study_refuses_joins_and_answers(client: TestClient, database_url: str) -> None:
    admin = instructor_client(client, database_url)
    study = create_open_study(admin)
    headers = join(client, study["join_code"])
    consent(client, headers)
    item = start(client, headers, "pre")["items"][0]
    assert admin.post(f"/api/instructor/studies/{study['id']}/close").status_code == 200
    response = client.post("/api/student/join", json={"code": study["join_code"]})
    assert response.status_code == 409
    body = {
        "submission_id": uuid.uuid4().hex,
        "phase": "pre",
        "item_id": item["id"],
        "choice_index": 0,
    }
    assert client.post("/api/student/answers", json=body, headers=headers).status_code == 409
    assert client.post("/api/student/join", json={"code": "ZZZZZZ"}).status_code == 404

"""The admin role, accounts from the dashboard, and the study's audit log, over HTTP.

The admin is the first instructor of a database: on SQLite each test has its own; on the
shared PostgreSQL database it is whoever a test made first, found by ``admin_client``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import DatabaseError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from evaluation.app import uvicorn_options
from evaluation.audit import Action
from evaluation.auth import create_instructor
from evaluation.models import AuditEntry, Instructor
from evaluation.report import run_report_build
from services.database.engine import make_engine, make_session_factory
from tests.evaluation.closed_study import PLAN, run_closed_study
from tests.evaluation.conftest import (
    PASSWORD,
    FakeClock,
    MakeClient,
    db_session,
    instructor_client,
    make_settings,
)
from tests.evaluation.helpers import create_open_study, join

STRONG = "violet-harbour-tractor-91"


def admin_client(client: TestClient, url: str) -> TestClient:
    """Signed in as the database's admin (made now if there is none yet)."""
    with db_session(url) as session:
        email = session.scalar(select(Instructor.email).where(Instructor.is_admin))
        if email is None:
            email = "admin@school.example"
            create_instructor(session, email, PASSWORD)
    signed_in = TestClient(client.app)
    answer = signed_in.post("/api/instructor/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200 and answer.json()["role"] == "admin", answer.text
    return signed_in


def entries(url: str) -> list[AuditEntry]:
    with db_session(url) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_the_first_instructor_is_the_admin_and_only_the_first(
    make_client: MakeClient, sqlite_url: str
) -> None:
    make_client(sqlite_url)  # migrates the database
    with db_session(sqlite_url) as session:
        first = create_instructor(session, "first@school.example", PASSWORD)
        second = create_instructor(session, "second@school.example", PASSWORD)
        assert (first.is_admin, second.is_admin) == (True, False)


def test_the_admin_sees_and_acts_on_every_study_others_only_on_theirs(
    client: TestClient, database_url: str
) -> None:
    admin = admin_client(client, database_url)
    teacher = instructor_client(client, database_url)
    colleague = instructor_client(client, database_url)
    assert teacher.get("/api/instructor/me").json()["role"] == "instructor"
    study = create_open_study(teacher)
    sid = study["id"]
    assert study["owner_email"] == teacher.get("/api/instructor/me").json()["email"]
    listed = {s["id"]: s["owner_email"] for s in admin.get("/api/instructor/studies").json()}
    assert listed[sid] == study["owner_email"]
    assert sid not in [s["id"] for s in colleague.get("/api/instructor/studies").json()]
    for method, path in (("GET", ""), ("GET", "/progress"), ("POST", "/close")):
        assert colleague.request(method, f"/api/instructor/studies/{sid}{path}").status_code == 404
    closed = admin.post(f"/api/instructor/studies/{sid}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    # The admin's own study is no more visible to an instructor than a colleague's.
    own = create_open_study(admin)
    assert teacher.get(f"/api/instructor/studies/{own['id']}").status_code == 404


def test_only_the_admin_reads_the_audit_log(client: TestClient, database_url: str) -> None:
    admin_client(client, database_url)
    teacher = instructor_client(client, database_url)
    for path in (
        "/api/instructor/audit",
        "/api/instructor/audit.csv",
        "/api/instructor/instructors",
    ):
        refused = teacher.get(path)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_only"
        assert TestClient(client.app).get(path).status_code == 401


def test_logins_studies_exports_and_withdrawals_are_recorded(
    make_client: MakeClient, sqlite_url: str, clock: FakeClock
) -> None:
    client = make_client(sqlite_url)
    admin = admin_client(client, sqlite_url)
    teacher = instructor_client(client, sqlite_url)
    email = teacher.get("/api/instructor/me").json()["email"]
    wrong = TestClient(client.app).post(
        "/api/instructor/login", json={"email": email.upper(), "password": "not it at all"}
    )
    assert wrong.status_code == 401
    study = run_closed_study(client, teacher, clock, plan=[])
    exported = teacher.get(f"/api/instructor/studies/{study['id']}/export/answers.csv")
    assert exported.status_code == 200
    other = create_open_study(teacher)
    student = join(client, other["join_code"])
    assert client.delete("/api/student/me", headers=student).status_code == 204

    log = entries(sqlite_url)
    actions = [(e.action, e.outcome) for e in log]
    assert ("login", "refused") in actions
    refused = next(e for e in log if e.outcome == "refused")
    assert refused.actor == email and refused.client == "testclient"
    assert refused.detail == {"why": "invalid_credentials"} and refused.actor_id is None
    mine = [e.action for e in log if e.actor == email and e.outcome == "ok"]
    for action in ("login", "study.create", "study.open", "study.close", "export"):
        assert action in mine, (action, mine)
    export = next(e for e in log if e.action == "export")
    assert export.target == f"study {study['id']}"
    assert export.detail == {"table": "answers", "format": "csv"}
    withdrawal = next(e for e in log if e.action == "participant.withdraw")
    assert withdrawal.target == f"study {other['id']}"
    assert (withdrawal.actor, withdrawal.actor_id, withdrawal.client) == (None, None, None)

    listed = admin.get("/api/instructor/audit", params={"limit": 500})
    assert listed.headers["cache-control"] == "no-store"
    shown = {e["id"]: e for e in listed.json()["entries"]}
    assert shown[refused.id]["outcome"] == "refused" and shown[refused.id]["actor"] == email
    assert shown[refused.id]["client"] == "testclient"
    assert [shown[e.id]["action"] for e in log] == [e.action for e in log]
    page = admin.get("/api/instructor/audit", params={"limit": 3}).json()
    assert [e["id"] for e in page["entries"]] == [e.id for e in reversed(log)][:3]
    older = admin.get(
        "/api/instructor/audit", params={"before_id": page["next_before_id"], "limit": 500}
    ).json()
    assert [e["id"] for e in older["entries"]] == [e.id for e in reversed(log)][3:]
    assert older["next_before_id"] is None
    exported_log = admin.get("/api/instructor/audit.csv")
    assert exported_log.headers["content-disposition"].startswith("attachment")
    assert exported_log.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(exported_log.text)))
    assert [int(r["id"]) for r in rows][: len(log)] == [e.id for e in log]
    assert rows[0]["at"].startswith(log[0].at.isoformat()[:19])


def test_a_refused_login_is_kept_although_the_request_fails(
    make_client: MakeClient, sqlite_url: str
) -> None:
    client = make_client(sqlite_url)
    stranger = TestClient(client.app)
    for _ in range(6):  # the sixth is turned away before any password is checked
        stranger.post(
            "/api/instructor/login", json={"email": "who@school.example", "password": "guess"}
        )
    reasons = [e.detail.get("why") for e in entries(sqlite_url) if e.outcome == "refused"]
    assert reasons == ["invalid_credentials"] * 5 + ["too_many_attempts"]


def test_changing_one_s_password(make_client: MakeClient, sqlite_url: str) -> None:
    client = make_client(sqlite_url)
    admin_client(client, sqlite_url)
    teacher = instructor_client(client, sqlite_url)
    email = teacher.get("/api/instructor/me").json()["email"]
    elsewhere = TestClient(client.app)
    elsewhere.post("/api/instructor/login", json={"email": email, "password": PASSWORD})
    change = "/api/instructor/password"
    wrong = teacher.post(change, json={"current_password": "nope", "new_password": STRONG})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_password"
    for weak in ("aaaaaaaaaa", "1234567890", "short"):
        answer = teacher.post(change, json={"current_password": PASSWORD, "new_password": weak})
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "weak_password"
    done = teacher.post(change, json={"current_password": PASSWORD, "new_password": STRONG})
    assert done.status_code == 204
    assert teacher.get("/api/instructor/me").status_code == 200  # this session goes on
    assert elsewhere.get("/api/instructor/me").status_code == 401  # the others end
    fresh = TestClient(client.app)
    assert (
        fresh.post("/api/instructor/login", json={"email": email, "password": PASSWORD}).status_code
        == 401
    )
    assert (
        fresh.post("/api/instructor/login", json={"email": email, "password": STRONG}).status_code
        == 200
    )
    changes = [e.outcome for e in entries(sqlite_url) if e.action == "password.change"]
    assert changes == ["refused", "ok"]


def test_the_admin_adds_a_colleague_under_the_password_policy(
    client: TestClient, database_url: str
) -> None:
    admin = admin_client(client, database_url)
    teacher = instructor_client(client, database_url)
    email = f"colleague-{id(teacher)}@school.example"
    add = "/api/instructor/instructors"
    body = {"email": email, "password": STRONG}
    assert teacher.post(add, json=body).status_code == 403
    weak = admin.post(add, json={"email": email, "password": "password12"})
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "weak_password"
    made = admin.post(add, json=body)
    assert made.status_code == 201 and made.json()["role"] == "instructor"
    assert admin.post(add, json=body).status_code == 409
    assert email in [i["email"] for i in admin.get(add).json()]
    colleague = TestClient(client.app)
    signed_in = colleague.post("/api/instructor/login", json=body)
    assert signed_in.status_code == 200 and signed_in.json()["role"] == "instructor"


class RecordingQueue:
    """Stands in for the report worker's broker."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    def enqueue(self, study_id: int, build_id: str) -> None:
        self.sent.append((study_id, build_id))


def test_edits_imports_reports_and_logouts_are_recorded(
    make_client: MakeClient, sqlite_url: str, clock: FakeClock
) -> None:
    client = make_client(sqlite_url)
    queue = RecordingQueue()
    client.app.state.report_queue = queue  # type: ignore[attr-defined]
    teacher = instructor_client(client, sqlite_url)
    email = teacher.get("/api/instructor/me").json()["email"]
    draft = create_open_study(teacher)  # opened: edits of the bank wait for it to close
    assert teacher.post(f"/api/instructor/studies/{draft['id']}/close").status_code == 200
    second = teacher.post(
        "/api/instructor/studies",
        json={
            "title": "Draft",
            "consent_text": "You may take part.",
            "learning_seconds": 60,
            "pre_test_seconds": 60,
            "post_test_seconds": 60,
        },
    ).json()
    renamed = teacher.patch(f"/api/instructor/studies/{second['id']}", json={"title": "Renamed"})
    assert renamed.status_code == 200
    bank = teacher.get("/api/instructor/items/export.json").json()["items"]
    imported = teacher.post("/api/instructor/items/import", json={"items": bank[1:3]})
    assert imported.status_code == 200, imported.text
    own = bank[0] | {"key": "MINE1", "position": 24}  # built-in items are read-only
    assert teacher.post("/api/instructor/items/import", json={"items": [own]}).status_code == 200
    stored = next(i for i in teacher.get("/api/instructor/items").json() if i["key"] == "MINE1")
    item_id = stored.pop("id")
    edited = teacher.put(f"/api/instructor/items/{item_id}", json={**stored, "stem": "Edited"})
    assert edited.status_code == 200, edited.text
    study = run_closed_study(client, teacher, clock, plan=PLAN[:4])
    base = f"/api/instructor/studies/{study['id']}"
    assert teacher.post(f"{base}/report/build").status_code == 202
    engine = make_engine(sqlite_url)
    try:
        assert run_report_build(make_session_factory(engine), *queue.sent[0]) == "done"
    finally:
        engine.dispose()
    assert teacher.get(f"{base}/report.html").status_code == 200
    assert teacher.post("/api/instructor/logout").status_code == 204

    mine = [
        (e.action, e.target, e.detail)
        for e in entries(sqlite_url)
        if e.actor == email and e.outcome == "ok" and e.client == "testclient"
    ]
    expected = [
        ("study.update", f"study {second['id']}", {"fields": ["title"]}),
        ("items.update", f"item {item_id}", {"key": "MINE1", "version": 1, "id": item_id}),
        ("items.import", None, {"items": 2, "format": "application/json"}),
        ("report.download", f"study {study['id']}", {}),
        ("logout", None, {}),
    ]
    for entry in expected:
        assert entry in mine, (entry, mine)
    builds = [e for e in mine if e[0] == "report.build"]
    assert builds == [("report.build", f"study {study['id']}", {"build": queue.sent[0][1]})]


def test_a_failed_change_leaves_no_entry(make_client: MakeClient, sqlite_url: str) -> None:
    client = make_client(sqlite_url)
    teacher = instructor_client(client, sqlite_url)
    study = create_open_study(teacher)
    stored = teacher.get("/api/instructor/items").json()[0]
    item_id = stored.pop("id")
    refused = teacher.put(f"/api/instructor/items/{item_id}", json={**stored, "stem": "Edited"})
    assert refused.status_code == 409  # a built-in item: read-only for everyone
    again = teacher.post(f"/api/instructor/studies/{study['id']}/open")
    assert again.status_code == 409
    actions = [e.action for e in entries(sqlite_url)]
    assert "items.update" not in actions and actions.count("study.open") == 1


def test_an_audit_entry_cannot_be_changed_or_removed_through_the_orm(
    client: TestClient, database_url: str
) -> None:
    instructor_client(client, database_url)  # a login: one entry at least
    with db_session(database_url) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        entry_id, outcome = entry.id, entry.outcome
        entry.outcome = "refused" if outcome == "ok" else "ok"
        with pytest.raises(DatabaseError, match="append-only"):
            session.commit()
        session.rollback()
        entry = session.get(AuditEntry, entry_id)
        assert entry is not None
        session.delete(entry)
        with pytest.raises(DatabaseError, match="append-only"):
            session.commit()
        session.rollback()
    with db_session(database_url) as session:
        kept = session.get(AuditEntry, entry_id)
        assert kept is not None and kept.outcome == outcome


@pytest.mark.parametrize(("proxies", "seen"), [(None, "testclient"), ("testclient", "203.0.113.9")])
def test_the_address_recorded_is_the_gateway_s_forwarded_one_only_from_trusted_proxies(
    make_client: MakeClient, sqlite_url: str, proxies: str | None, seen: str
) -> None:
    """As served (``uvicorn_options``): X-Forwarded-For counts only from a trusted proxy."""
    overrides = {} if proxies is None else {"evaluation_trusted_proxies": proxies}
    options = uvicorn_options(make_settings(sqlite_url, **overrides))
    assert options["proxy_headers"] is True
    app = make_client(sqlite_url).app
    # uvicorn's ASGI types and Starlette's differ in name only.
    proxied: Any = ProxyHeadersMiddleware(cast(Any, app), options["forwarded_allow_ips"])
    served = TestClient(proxied)
    answer = served.post(
        "/api/instructor/login",
        json={"email": "who@school.example", "password": "guess-guess"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert answer.status_code == 401
    assert [e.client for e in entries(sqlite_url) if e.outcome == "refused"] == [seen]


def test_a_shared_study_is_run_by_the_colleagues_it_is_shared_with(
    client: TestClient, database_url: str
) -> None:
    owner = instructor_client(client, database_url)
    colleague = instructor_client(client, database_url)
    stranger = instructor_client(client, database_url)
    colleague_id = colleague.get("/api/instructor/me").json()["id"]
    stranger_id = stranger.get("/api/instructor/me").json()["id"]
    assert colleague_id in [c["id"] for c in owner.get("/api/instructor/colleagues").json()]
    study = create_open_study(owner)
    sid, shares = study["id"], f"/api/instructor/studies/{study['id']}/shares"
    assert colleague.get(f"/api/instructor/studies/{sid}").status_code == 404
    shared = owner.put(shares, json={"instructor_ids": [colleague_id]})
    assert shared.status_code == 200 and shared.json()["shared_with"] == [colleague_id]
    assert sid in [s["id"] for s in colleague.get("/api/instructor/studies").json()]
    assert colleague.get(f"/api/instructor/studies/{sid}/progress").status_code == 200
    # The colleague runs it, but does not share it further; a stranger still sees nothing.
    refused = colleague.put(shares, json={"instructor_ids": [stranger_id]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_your_study"
    assert stranger.get(f"/api/instructor/studies/{sid}").status_code == 404
    unknown = owner.put(shares, json={"instructor_ids": [2**31 - 1]})
    assert unknown.status_code == 422
    closed = colleague.post(f"/api/instructor/studies/{sid}/close")
    assert closed.status_code == 200
    assert owner.put(shares, json={"instructor_ids": []}).json()["shared_with"] == []
    assert colleague.get(f"/api/instructor/studies/{sid}").status_code == 404


def test_the_security_notes_list_every_recorded_action() -> None:
    notes = (Path(__file__).parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    section = notes.split("## Audit log", 1)[1].split("\n## ", 1)[0]
    study_row = next(line for line in section.splitlines() if line.startswith("| study |"))
    missing = [action.value for action in Action if f"`{action.value}`" not in study_row]
    assert not missing, missing

"""The admin role, accounts from the dashboard, and the study's audit log, over HTTP.

The admin is the first instructor of a database: on SQLite each test has its own; on the
shared PostgreSQL database it is whoever a test made first, found by ``admin_client``.
"""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy import select

from evaluation.auth import create_instructor
from evaluation.models import AuditEntry, Instructor
from tests.evaluation.closed_study import run_closed_study
from tests.evaluation.conftest import (
    PASSWORD,
    FakeClock,
    MakeClient,
    db_session,
    instructor_client,
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

"""Instructor accounts, sessions and studies; every instructor endpoint refuses others."""

from __future__ import annotations

import ast
import logging
import re
import secrets
import stat
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from pydantic import ValidationError

from evaluation.app import create_app
from evaluation.auth import SESSION_COOKIE
from evaluation.settings import EvaluationSettings
from services.common.paths import PROJECT_ROOT
from services.common.secrets import weakness
from tests.evaluation.conftest import PASSWORD, FakeClock, instructor_client, new_instructor
from tests.evaluation.helpers import consent, create_open_study, join

PATH_VALUES = {
    "study_id": "1",
    "item_id": "1",
    "material_id": "1",
    "action": "open",
    "fmt": "json",
    "table": "answers",
    "name": "tiny_vgg",
    "job_id": "0" * 32,
}


def instructor_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every instructor operation, from the OpenAPI document (so new routes are covered)."""
    routes: list[tuple[str, str]] = []
    paths: dict[str, dict[str, object]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    for template, operations in paths.items():
        public = ("/login", "/logout", "/session")  # /session answers who you are, or null
        if not template.startswith("/api/instructor") or template.endswith(public):
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template)
        routes.extend((method.upper(), path) for method in operations)
    return routes


def expired_cookie(instructor_id: int) -> str:
    """A correctly signed session cookie issued ten days ago."""
    serializer = URLSafeTimedSerializer(
        "test-only-secret-key-0123456789abcdef", salt="instructor-session"
    )
    issued = time.time() - 10 * 24 * 3600
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: issued)
        return serializer.dumps({"instructor_id": instructor_id})


def test_every_instructor_endpoint_refuses_anyone_else(
    client: TestClient, database_url: str
) -> None:
    admin = instructor_client(client, database_url)
    student = join(client, create_open_study(admin)["join_code"])
    forged = {"Cookie": f"{SESSION_COOKIE}=eyJpbnN0cnVjdG9yX2lkIjoxfQ.forged.sig"}
    instructor_id = admin.get("/api/instructor/me").json()["id"]
    expired = {"Cookie": f"{SESSION_COOKIE}={expired_cookie(instructor_id)}"}
    routes = instructor_routes(client)
    assert len(routes) >= 15
    anonymous = TestClient(client.app)
    for method, path in routes:
        for headers in ({}, student, forged, expired):
            response = anonymous.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json()["error"]["code"] == "not_authenticated"
    for headers in ({}, student, forged, expired):
        session = anonymous.get("/api/instructor/session", headers=headers)
        assert session.json() == {"instructor": None}, headers


def test_login_sets_a_safe_cookie(client: TestClient, database_url: str) -> None:
    email = new_instructor(database_url)
    # Who is signed in: nobody yet, answered with 200 (the login page asks this first).
    before = client.get("/api/instructor/session")
    assert before.status_code == 200 and before.json() == {"instructor": None}
    wrong = client.post("/api/instructor/login", json={"email": email, "password": "nope"})
    assert wrong.status_code == 401
    response = client.post(
        "/api/instructor/login", json={"email": email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    assert client.get("/api/instructor/me").json()["email"] == email
    assert client.get("/api/instructor/session").json()["instructor"]["email"] == email
    copied = {"Cookie": f"cnn101_instructor={client.cookies['cnn101_instructor']}"}
    assert client.post("/api/instructor/logout").status_code == 204
    assert client.get("/api/instructor/me").status_code == 401
    assert client.get("/api/instructor/session").json() == {"instructor": None}
    # A copy of the cookie taken before logout is dead too, and a new login works.
    client.cookies.clear()
    assert client.get("/api/instructor/me", headers=copied).status_code == 401
    again = client.post("/api/instructor/login", json={"email": email, "password": PASSWORD})
    assert again.status_code == 200
    assert client.get("/api/instructor/me").json()["email"] == email


def test_repeated_failed_logins_slow_that_client_not_the_account(
    client: TestClient, database_url: str
) -> None:
    email = new_instructor(database_url)
    stranger = TestClient(client.app, client=("10.0.0.66", 40000))
    for _ in range(5):
        wrong = stranger.post("/api/instructor/login", json={"email": email, "password": "guess"})
        assert wrong.status_code == 401
    right = {"email": email, "password": PASSWORD}
    blocked = stranger.post("/api/instructor/login", json=right)
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(blocked.headers["retry-after"]) <= 300
    # The stranger cannot lock the real instructor out: from their own machine, they sign in.
    teacher = TestClient(client.app, client=("10.0.0.7", 40001))
    assert teacher.post("/api/instructor/login", json=right).status_code == 200
    # Another account is not affected for the stranger either.
    other = new_instructor(database_url)
    assert (
        stranger.post(
            "/api/instructor/login", json={"email": other, "password": PASSWORD}
        ).status_code
        == 200
    )


def test_study_lifecycle_and_ownership(
    client: TestClient, database_url: str, clock: FakeClock
) -> None:
    admin = instructor_client(client, database_url)
    other = instructor_client(client, database_url)
    created = admin.post(
        "/api/instructor/studies", json={"title": "Week 3", "consent_text": "Consent."}
    )
    assert created.status_code == 201
    study = created.json()
    assert study["status"] == "draft" and study["conditions"] == ["cnn101", "conventional"]
    assert re.fullmatch(r"[A-Z2-9]{6}", study["join_code"])
    assert study["join_link"].endswith(f"/study.html?code={study['join_code']}")
    sid = study["id"]
    edited = admin.patch(f"/api/instructor/studies/{sid}", json={"learning_seconds": 900})
    assert edited.json()["learning_seconds"] == 900
    assert (
        admin.patch(f"/api/instructor/studies/{sid}", json={"learning_seconds": 0}).status_code
        == 422
    )
    assert admin.patch(f"/api/instructor/studies/{sid}", json={"title": None}).status_code == 422
    assert client.post("/api/student/join", json={"code": study["join_code"]}).status_code == 409

    assert other.get(f"/api/instructor/studies/{sid}").status_code == 404
    assert other.post(f"/api/instructor/studies/{sid}/open").status_code == 404
    assert other.get(f"/api/instructor/studies/{sid}/qr.svg").status_code == 404
    assert [s["id"] for s in other.get("/api/instructor/studies").json()] == []

    assert admin.post(f"/api/instructor/studies/{sid}/close").status_code == 409
    assert admin.post(f"/api/instructor/studies/{sid}/open").json()["status"] == "open"
    assert admin.patch(f"/api/instructor/studies/{sid}", json={"title": "x"}).status_code == 409
    qr = admin.get(f"/api/instructor/studies/{sid}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in qr.content

    headers = join(client, study["join_code"])
    consent(client, headers)
    progress = admin.get(f"/api/instructor/studies/{sid}/progress").json()
    assert progress == {"counts": {"unassigned": {"pre_test": 1}}, "stuck": []}
    clock.advance(200)
    stuck = admin.get(f"/api/instructor/studies/{sid}/progress").json()["stuck"]
    assert [(s["step"], s["idle_seconds"]) for s in stuck] == [("pre_test", 200)]
    assert admin.get(f"/api/instructor/studies/{sid}/results").status_code == 409
    assert admin.post(f"/api/instructor/studies/{sid}/close").json()["status"] == "closed"
    assert admin.post(f"/api/instructor/studies/{sid}/open").status_code == 409
    assert admin.get(f"/api/instructor/studies/{sid}/results").status_code == 200


WEAK_SECRETS = (
    "development-only",
    "change-me",
    "short",
    "changeme" * 4,  # long enough, but a placeholder repeated
    "x" * 32,
    "k" * 40,
    "abababababababababababababababababab",
)


@pytest.mark.parametrize("env", ["production", "development"])
def test_a_weak_secret_is_refused_in_every_mode(env: str) -> None:
    for secret in WEAK_SECRETS:
        with pytest.raises(ValidationError, match="CNN101_EVALUATION_SECRET_KEY"):
            EvaluationSettings.model_validate({"env": env, "evaluation_secret_key": secret})
    strong = EvaluationSettings.model_validate(
        {"env": env, "evaluation_secret_key": secrets.token_hex(32)}
    )
    assert strong.cookie_secure == (env == "production")


def test_without_a_key_one_is_made_on_first_start_and_kept(tmp_path: Path) -> None:
    key_file = tmp_path / "state" / "evaluation-secret-key"
    settings = EvaluationSettings(evaluation_secret_key_file=key_file)
    first = settings.with_signing_key()
    assert first.signing_key and weakness(first.signing_key) is None
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = EvaluationSettings(evaluation_secret_key_file=key_file).with_signing_key()
    assert again.signing_key == first.signing_key  # kept: sessions survive a restart
    other = EvaluationSettings(evaluation_secret_key_file=tmp_path / "other").with_signing_key()
    assert other.signing_key != first.signing_key  # never the same on two machines
    key_file.write_text("changeme" * 4)
    with pytest.raises(ValueError, match="too predictable"):
        EvaluationSettings(evaluation_secret_key_file=key_file).with_signing_key()


def _repository_constants() -> set[str]:
    """Every string literal of 8 or more characters in the repository's Python code."""
    found: set[str] = set()
    for folder in ("services", "evaluation", "tests", "scripts"):
        for source in (PROJECT_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                literal = node.value if isinstance(node, ast.Constant) else None
                if isinstance(literal, str) and 8 <= len(literal) <= 200:
                    found.add(literal)
    return found


def test_a_cookie_forged_with_any_constant_of_the_repository_is_refused(
    tmp_path: Path,
) -> None:
    """An instance started with no key configured (as `make run` starts it) signs with a
    key of its own: a session signed with any string the code contains is refused."""
    settings = EvaluationSettings(
        evaluation_database_url=f"sqlite:///{tmp_path / 'e.db'}",
        evaluation_secret_key_file=tmp_path / "key",
        evaluation_bootstrap_instructor=None,
    )
    with TestClient(create_app(settings)) as client:
        instructor_client(client, settings.evaluation_database_url)  # instructor id 1
        key = (tmp_path / "key").read_text().strip()
        constants = _repository_constants()
        assert "development-only" in constants and len(constants) > 1000
        assert key not in constants
        claims = {"instructor_id": 1, "epoch": 0}
        tried = sorted(constants)[:: max(1, len(constants) // 200)]  # over HTTP: a sample
        for constant in [*tried, "development-only", "test-only-secret-key-0123456789abcdef"]:
            forged = URLSafeTimedSerializer(constant, salt="instructor-session").dumps(claims)
            response = client.get("/api/instructor/me", headers=_cookie(forged))
            assert response.status_code == 401, constant
        real = URLSafeTimedSerializer(key, salt="instructor-session").dumps(claims)
        assert client.get("/api/instructor/me", headers=_cookie(real)).status_code == 200


def _cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={value}"}


def test_the_development_instructor_password_goes_to_a_private_file_not_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    login_file = tmp_path / "login"
    settings = EvaluationSettings(
        evaluation_database_url=f"sqlite:///{tmp_path / 'e.db'}",
        evaluation_secret_key_file=tmp_path / "key",
        evaluation_bootstrap_login_file=login_file,
    )
    with caplog.at_level(logging.INFO), TestClient(create_app(settings)) as client:
        email, password = login_file.read_text().split()
        assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
        response = client.post("/api/instructor/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert email in logged and str(login_file) in logged
    assert password not in logged

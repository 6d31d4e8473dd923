"""Who may call what: the table in docs/security.md, walked against the running platform.

The table is generated from the code (scripts/access_table.py) and must be fresh, and it
must list exactly the endpoints the three apps serve (read from their routing tables), so
a new endpoint without a row fails here. Every row is then called as each persona
(anonymous, a student, another study's student, the admin, the study's instructor, another
instructor, the instructor from a page of another site) through the gateway, the way a
browser reaches it, and the answer must match the row. Responses carry the security
headers, allow no cross-origin reads (CORS closed) and never hold a stack trace.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from evaluation.app import create_app as create_evaluation_app
from evaluation.models import Instructor
from evaluation.settings import EvaluationSettings
from services.common.paths import PROJECT_ROOT
from services.common.route_table import Endpoint, endpoints
from services.gateway.app import create_app as create_gateway_app
from services.gateway.settings import GatewaySettings
from services.studio.app import create_app as create_studio_app
from services.studio.settings import StudioSettings
from tests.databases import db_session
from tests.evaluation.conftest import PASSWORD
from tests.reliability.platform import SECRET_KEY, ProcessPlatform
from tests.reliability.study import add_instructor

SECURITY_DOC = PROJECT_ROOT / "docs" / "security.md"
WHO = {"anyone", "forwarded", "student", "instructor", "owner or admin", "admin", "presenter"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
DENIED = {401, 403}


@dataclass(frozen=True)
class Row:
    service: str
    method: str
    path: str
    who: str


def table() -> list[Row]:
    """The rows of the access table: ``| service | method | `path` | who | ... |``."""
    rows = []
    pattern = re.compile(
        r"^\|\s*(gateway|evaluation|studio)\s*\|\s*(\w+)\s*\|\s*`([^`]+)`\s*\|([^|]+)\|"
    )
    for line in SECURITY_DOC.read_text().splitlines():
        if match := pattern.match(line):
            service, method, path, who = (part.strip() for part in match.groups())
            assert who in WHO, line
            rows.append(Row(service, method, path, who))
    return rows


def served(tmp_path: Path) -> dict[str, set[tuple[str, str]]]:
    """Every endpoint of the gateway (with and without the SPA built), the study service and
    the studio service."""
    spa = tmp_path / "spa"
    spa.mkdir()
    (spa / "index.html").write_text("<!doctype html>")
    gateway = endpoints(create_gateway_app(GatewaySettings(spa_dir=spa)))
    gateway += endpoints(create_gateway_app(GatewaySettings(spa_dir=tmp_path / "none")))
    evaluation = endpoints(
        create_evaluation_app(
            EvaluationSettings(evaluation_database_url=f"sqlite:///{tmp_path / 'e.db'}")
        )
    )

    studio = endpoints(create_studio_app(StudioSettings()))

    def shown(found: list[Endpoint]) -> set[tuple[str, str]]:
        return {(e.method, e.path.replace(":path}", "}")) for e in found}

    return {
        "gateway": shown(gateway),
        "evaluation": shown(evaluation),
        "studio": shown(studio),
    }


def test_the_table_is_the_one_the_code_generates() -> None:
    check = subprocess.run(
        [sys.executable, "scripts/access_table.py", "--check"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_the_table_lists_every_endpoint_and_nothing_else(tmp_path: Path) -> None:
    rows = table()
    listed = Counter((row.service, row.method, row.path) for row in rows)
    assert [key for key, count in listed.items() if count > 1] == []
    for service, found in served(tmp_path).items():
        in_table = {(row.method, row.path) for row in rows if row.service == service}
        assert sorted(found - in_table) == [], f"{service}: endpoints without a row"
        assert sorted(in_table - found) == [], f"{service}: rows without an endpoint"


# --- the walk --------------------------------------------------------------------------


@dataclass
class Personas:
    """Everyone who might call: fresh students per row, since a row may withdraw one."""

    platform: ProcessPlatform
    gateway: httpx.Client
    own_study: dict[str, object]
    other_study: dict[str, object]
    admin: dict[str, str]
    instructor: dict[str, str]
    other_instructor: dict[str, str]
    example_id: str

    def student(self, study: dict[str, object]) -> dict[str, str]:
        joined = self.gateway.post("/api/student/join", json={"code": study["join_code"]})
        assert joined.status_code == 201, joined.text
        bearer = {"Authorization": f"Bearer {joined.json()['token']}"}
        consent = {"choice": "participate", "prior_ml": True}
        assert self.gateway.post("/api/student/consent", json=consent, headers=bearer).is_success
        assert self.gateway.post("/api/student/phases/pre/start", headers=bearer).is_success
        return bearer

    def everyone(self) -> dict[str, dict[str, str]]:
        return {
            "anonymous": {},
            "student": self.student(self.own_study),
            "another study's student": self.student(self.other_study),
            "admin": self.admin,
            "instructor": self.instructor,
            "another instructor": self.other_instructor,
        }


def login(client: httpx.Client, database_url: str, email: str | None = None) -> dict[str, str]:
    """A new instructor's session cookie (or ``email``'s: every test account's password)."""
    email = email or add_instructor(database_url)
    response = client.post("/api/instructor/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert "HttpOnly" in response.headers["set-cookie"]
    assert "samesite=lax" in response.headers["set-cookie"].lower()
    return {"Cookie": f"cnn101_instructor={response.cookies['cnn101_instructor']}"}


def open_study(
    client: httpx.Client, cookie: dict[str, str], **fields: int | str
) -> dict[str, object]:
    body = {"title": f"access {secrets.token_hex(3)}", "consent_text": "ok", **fields}
    study = client.post("/api/instructor/studies", json=body, headers=cookie).json()
    opened = client.post(f"/api/instructor/studies/{study['id']}/open", headers=cookie)
    assert opened.status_code == 200, opened.text
    result: dict[str, object] = opened.json()
    return result


def login_as_admin(client: httpx.Client, database_url: str) -> dict[str, str]:
    """The admin is the first instructor: whoever another test made first, or a new one."""
    with db_session(database_url) as session:
        email = session.scalar(select(Instructor.email).where(Instructor.is_admin))
    cookie = login(client, database_url, email)
    assert client.get("/api/instructor/me", headers=cookie).json()["role"] == "admin"
    return cookie


@pytest.fixture(scope="module")
def personas(platform: ProcessPlatform) -> Personas:
    gateway = httpx.Client(base_url=platform.gateway_url, timeout=60)
    admin = login_as_admin(gateway, platform.database_url)
    instructor = login(gateway, platform.database_url)
    other_instructor = login(gateway, platform.database_url)
    example_id = gateway.get("/api/examples").json()["examples"][0]["id"]
    return Personas(
        platform,
        gateway,
        open_study(gateway, instructor),
        open_study(gateway, other_instructor),
        admin,
        instructor,
        other_instructor,
        example_id,
    )


def concrete(path: str, personas: Personas) -> str:
    values = {
        "study_id": str(personas.own_study["id"]),
        "item_id": "1",
        "material_id": "1",
        "action": "open",
        "fmt": "json",
        "table": "answers",
        "phase": "pre",
        "name": "tiny_vgg",
        "version": "1",
        "digest": "ab" * 32,
        "example_id": personas.example_id,
        "task_id": "no-such-task",
        "rest": "state",
        "path": "index.html",
        "code": "K7P-2QX",
        "job_id": "0" * 32,
        "dataset_id": "0" * 32,
        "label": "0",
    }
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


STUDENTS = ("student", "another study's student")
INSTRUCTORS = ("admin", "instructor", "another instructor")


def expected(who: str, persona: str) -> set[int] | None:
    """The answers allowed: ``{401}`` (not signed in as the row needs), ``{403}`` (signed
    in without the role), ``NOT_MINE`` (someone else's resource), ``LET_IN`` (anything but a
    refusal), or None (not checked: the forwarded rows, which the study's rows decide)."""
    if who == "forwarded":
        return None
    if who in ("anyone", "presenter"):
        # Only the presenting page holds the token: every persona is refused.
        return LET_IN if who == "anyone" else {401}
    if persona not in (STUDENTS if who == "student" else INSTRUCTORS):
        return {401}
    if who == "admin" and persona != "admin":
        return {403}
    if who == "owner or admin" and persona == "another instructor":
        return NOT_MINE
    return LET_IN


# Anything but a refusal (a 404 for a made-up id, a 409 for the default model, a 422 ...).
LET_IN = {code for code in range(100, 600) if code not in DENIED}
# Another's resource is refused (403), or as if it did not exist (404), or not to be
# changed by anyone (409: the default model), or the walk's empty body is refused before
# ownership is looked at (422: tests/studio/test_owners.py sends real bodies); never let
# through.
NOT_MINE = {403, 404, 409, 422}


def test_every_row_as_every_persona(personas: Personas) -> None:
    rows = table()
    calls: Counter[str] = Counter()
    for row in rows:
        if row.service == "gateway" or row.path.startswith("/api/"):
            base = personas.platform.gateway_url
        elif row.service == "studio":
            base = personas.platform.studio_url
        else:
            base = personas.platform.evaluation_url
        path = concrete(row.path, personas)
        for persona, persona_headers in personas.everyone().items():
            headers = persona_headers
            if row.path.endswith("/logout") and "Cookie" in headers:
                # Logout ends every session of that instructor: spend a throwaway one.
                headers = login(personas.gateway, personas.platform.database_url)
            response = httpx.request(
                row.method,
                base + path,
                headers=headers,
                json={} if row.method in UNSAFE else None,
                timeout=60,
            )
            calls[f"{persona}: {response.status_code}"] += 1
            where = (row.method, path, persona, response.status_code, response.text[:200])
            assert response.status_code < 500, where
            assert "Traceback" not in response.text, where
            if base == personas.platform.gateway_url:
                assert "content-security-policy" in response.headers, where
            allowed = expected(row.who, persona)
            if allowed is not None:
                assert response.status_code in allowed, where
            if row.path.startswith("/api/instructor/studies/{") and persona == "another instructor":
                # Another's study does not exist (or the walk's empty body is refused first).
                assert response.status_code in (404, 422), where
    print(f"access walk: {len(rows)} rows, {sum(calls.values())} calls: {dict(calls)}")


def test_writes_from_another_site_are_refused(personas: Personas) -> None:
    """CSRF: the instructor's own cookie, sent by a page of another site, changes nothing."""
    sid = personas.own_study["id"]
    attacks = [
        ("POST", f"/api/instructor/studies/{sid}/close", {"Origin": "http://evil.example"}),
        ("POST", f"/api/instructor/studies/{sid}/close", {"Origin": "null"}),
        ("POST", f"/api/instructor/studies/{sid}/close", {"Sec-Fetch-Site": "same-site"}),
        # A client-sent X-Forwarded-Host naming the attacker's site changes nothing.
        (
            "POST",
            f"/api/instructor/studies/{sid}/close",
            {"Origin": "http://evil.example", "X-Forwarded-Host": "evil.example"},
        ),
        ("POST", "/api/instructor/logout", {"Origin": "http://127.0.0.1:1"}),
        ("PUT", "/api/instructor/items/1", {"Sec-Fetch-Site": "cross-site"}),
    ]
    for base in (personas.platform.gateway_url, personas.platform.evaluation_url):
        for method, path, extra in attacks:
            response = httpx.request(
                method, base + path, headers=personas.instructor | extra, json={}, timeout=30
            )
            assert response.status_code == 403, (base, method, path, extra, response.text)
            assert response.json()["error"]["code"] == "cross_site_request"
    study = personas.gateway.get(f"/api/instructor/studies/{sid}", headers=personas.instructor)
    assert study.json()["status"] == "open"
    same_origin = {"Origin": personas.platform.gateway_url, "Sec-Fetch-Site": "same-origin"}
    throwaway = login(personas.gateway, personas.platform.database_url)
    me = personas.gateway.post("/api/instructor/logout", headers=throwaway | same_origin)
    assert me.status_code == 204


def test_cors_is_closed(personas: Personas) -> None:
    origin = {"Origin": "http://evil.example"}
    for base in (personas.platform.gateway_url, personas.platform.evaluation_url):
        preflight = httpx.options(
            f"{base}/api/student/state",
            headers=origin
            | {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x"},
        )
        read = httpx.get(f"{base}/api/models", headers=origin)
        for response in (preflight, read):
            allowed = {k for k in response.headers if k.startswith("access-control-allow")}
            assert allowed == set(), (base, response.headers)


def test_security_headers_on_every_gateway_answer(personas: Personas) -> None:
    for path in ("/api/models", "/no/such/page", "/health/live", "/openapi.json"):
        headers = personas.gateway.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'self'" in policy and "http" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "SAMEORIGIN"
    too_large = personas.gateway.post(
        "/api/activations", content=b"x" * (3 * 1024 * 1024), headers={"content-type": "a/b"}
    )
    assert too_large.status_code == 413
    assert "content-security-policy" in too_large.headers


def test_private_answers_are_never_cached(personas: Personas) -> None:
    platform = personas.platform
    answers = [
        personas.gateway.get("/api/instructor/me", headers=personas.instructor),
        personas.gateway.get("/api/instructor/studies", headers=personas.instructor),
        personas.gateway.get("/api/studio/models", headers=personas.instructor),
        personas.gateway.get("/api/student/state", headers=personas.student(personas.own_study)),
        httpx.get(f"{platform.evaluation_url}/api/instructor/me", headers=personas.instructor),
        httpx.get(f"{platform.studio_url}/api/studio/jobs", headers=personas.instructor),
        personas.gateway.get("/api/instructor/me"),  # a refusal too
    ]
    for response in answers:
        assert response.headers.get("cache-control") == "no-store", (
            response.request.url,
            response.headers,
        )


def test_request_size_limits_everywhere(personas: Personas) -> None:
    """Every service refuses an oversized body with 413 in the error shape."""
    body = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    json_type = {"content-type": "application/json"}
    for url in (
        f"{personas.platform.gateway_url}/api/student/answers",
        f"{personas.platform.gateway_url}/api/activations",
        f"{personas.platform.evaluation_url}/api/student/answers",
        f"{personas.platform.evaluation_url}/api/instructor/login",
    ):
        response = httpx.post(url, content=body, headers=json_type, timeout=30)
        assert response.status_code == 413, (url, response.text)
        assert set(response.json()["error"]) == {"code", "message"}


def test_secrets_and_tokens_never_reach_the_logs(personas: Personas) -> None:
    bearer = personas.student(personas.own_study)["Authorization"].removeprefix("Bearer ")
    personas.gateway.get("/api/student/state", headers={"Authorization": f"Bearer {bearer}"})
    logs = personas.platform.log_text()
    cookie = personas.instructor["Cookie"].split("=", 1)[1]
    for secret in (SECRET_KEY, PASSWORD, bearer, cookie):
        assert secret not in logs


@pytest.mark.parametrize("secret", ["", "development-only", "change-me", "short-but-random"])
def test_production_refuses_to_start_with_a_default_or_empty_secret(
    secret: str, tmp_path: Path
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "CNN101_ENV": "production",
        "CNN101_EVALUATION_SECRET_KEY": secret,
        "CNN101_EVALUATION_DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}",
        "CNN101_EVALUATION_PORT": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "evaluation.app"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "CNN101_EVALUATION_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    if secret:
        assert secret not in result.stderr + result.stdout
    assert not (tmp_path / "e.db").exists()

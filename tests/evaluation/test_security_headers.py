"""The study service sends the platform's security headers itself: a reverse proxy may send
a student's requests straight to it (infra/nginx/cnn101.conf, infra/k8s/ingress.yaml), past
the gateway that used to add them."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from services.common.security_headers import SECURITY_HEADERS
from tests.evaluation.conftest import instructor_client
from tests.evaluation.helpers import answer, consent, create_open_study, join, start

EXPECTED = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}


def _has_the_headers(headers: httpx.Headers) -> None:
    for name, value in EXPECTED.items():
        assert headers[name] == value, name
    assert headers["content-security-policy"].startswith("default-src 'self'")
    # Each once: nothing in the service sets them a second time.
    assert len(headers.get_list("x-frame-options")) == 1


def test_a_students_answers_and_refusals_carry_the_security_headers(
    client: TestClient, database_url: str
) -> None:
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin)["join_code"])
    consent(client, headers)
    view = start(client, headers, "pre")
    answered = answer(client, headers, "pre", view["items"][0]["id"])
    assert answered.status_code == 200, answered.text
    _has_the_headers(answered.headers)
    _has_the_headers(client.get("/api/student/state", headers=headers).headers)
    # Refusals too: an unknown token (401) and a cross-site write (403, before any handler).
    unknown = client.get("/api/student/state", headers={"Authorization": "Bearer nobody"})
    assert unknown.status_code == 401
    _has_the_headers(unknown.headers)
    foreign = client.post(
        "/api/student/answers", headers={**headers, "Origin": "http://evil.example"}, json={}
    )
    assert foreign.status_code == 403
    _has_the_headers(foreign.headers)


def test_hsts_only_when_the_browser_came_over_tls(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/health/live").headers
    over_tls = TestClient(client.app, base_url="https://class.example")
    assert (
        over_tls.get("/health/live")
        .headers["strict-transport-security"]
        .startswith("max-age=31536000")
    )

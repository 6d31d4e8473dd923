"""The gateway's security headers, HSTS only where the browser came over TLS."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.cross_site import CrossSiteGuard
from services.common.security_headers import SecurityHeaders


def _client(base_url: str) -> TestClient:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(CrossSiteGuard)
    app.add_middleware(SecurityHeaders)
    return TestClient(app, base_url=base_url)


def test_hsts_over_tls_only() -> None:
    over_tls = _client("https://class.example").get("/ping")
    assert over_tls.headers["strict-transport-security"].startswith("max-age=31536000")
    plain = _client("http://class.example").get("/ping")
    assert "strict-transport-security" not in plain.headers
    assert plain.headers["x-content-type-options"] == "nosniff"


def test_a_forged_forwarded_host_does_not_make_a_foreign_write_same_site() -> None:
    client = _client("http://class.example")
    refused = client.post(
        "/ping",
        headers={"Origin": "http://evil.example", "X-Forwarded-Host": "evil.example"},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "cross_site_request"
    same = client.post("/ping", headers={"Origin": "http://class.example"})
    assert same.status_code == 405  # let through to the app (which has no POST /ping)

"""The study's endpoints reached through the gateway, one origin for the browser."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from evaluation.auth import create_instructor
from services.database.engine import make_engine
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.serving.conftest import Stack
from tests.serving.stack import GatewayThread, free_port


def _instructor(stack: Stack, email: str, password: str) -> None:
    database = stack.base_path.parent / "evaluation.db"
    engine = make_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        create_instructor(session, email, password)
    engine.dispose()


def test_instructor_session_and_student_errors_pass_through(stack: Stack) -> None:
    _instructor(stack, "teacher@example.org", "a long enough password")
    http = httpx.Client(base_url=stack.gateway.url, timeout=30)
    assert http.get("/api/instructor/me").status_code == 401
    login = http.post(
        "/api/instructor/login",
        json={"email": "teacher@example.org", "password": "a long enough password"},
    )
    assert login.status_code == 200, login.text
    assert "httponly" in login.headers["set-cookie"].lower()
    me = http.get("/api/instructor/me")
    assert me.status_code == 200 and me.json()["email"] == "teacher@example.org"
    # The gateway forwards each browser's own cookie and keeps none: another browser
    # without the session cookie is still anonymous after the instructor logged in.
    stranger = httpx.Client(base_url=stack.gateway.url, timeout=30)
    assert stranger.get("/api/instructor/me").status_code == 401
    created = http.post(
        "/api/instructor/studies", json={"title": "Proxy check", "consent_text": "I agree."}
    )
    assert created.status_code == 201, created.text
    listed = http.get("/api/instructor/studies").json()
    assert "Proxy check" in str(listed)
    unknown = http.post("/api/student/join", json={"code": "NOPE-0000"})
    assert 400 <= unknown.status_code < 500
    assert set(unknown.json()["error"]) == {"code", "message"}


def test_a_path_that_climbs_out_of_the_forwarded_prefix_is_not_forwarded(stack: Stack) -> None:
    http = httpx.Client(base_url=stack.gateway.url, timeout=30)
    for prefix in ("student", "instructor", "studio"):
        for climb in ("..%2f..%2fopenapi.json", "..%2F..%2Fdocs", "%2e%2e/%2e%2e/openapi.json"):
            response = http.get(f"/api/{prefix}/{climb}")
            assert response.status_code == 404, (prefix, climb, response.text[:200])
            assert response.json()["error"]["code"] == "not_found"
            assert "openapi" not in response.text and "swagger" not in response.text.lower()


def test_ready_reports_the_study_service(stack: Stack) -> None:
    ready = httpx.get(f"{stack.gateway.url}/health/ready", timeout=30).json()
    assert ready["checks"]["study"] == "ok"


def test_study_service_down_is_a_503_with_retry_after(stack: Stack) -> None:
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=stack.activations_target,
                data_dir=stack.data_dir,
                evaluation_url=f"http://127.0.0.1:{free_port()}",
                retry_after_seconds=4,
                spa_dir=stack.base_path.parent / "no-spa",
            )
        )
    )
    gateway.start()
    try:
        response = httpx.post(f"{gateway.url}/api/student/join", json={"code": "ABCD"}, timeout=30)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "4"
        assert response.json()["error"]["code"] == "study_unavailable"
        ready = httpx.get(f"{gateway.url}/health/ready", timeout=30)
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    finally:
        gateway.stop()


def _echo_service() -> FastAPI:
    """Stands in for the study service: answers with what reached it."""
    echo = FastAPI()

    @echo.api_route("/{rest:path}", methods=["GET", "POST"])
    async def everything(request: Request) -> Response:
        seen = {
            "path": request.scope["raw_path"].decode(),
            "query": request.scope["query_string"].decode(),
            "body": (await request.body()).decode(),
            "authorization": request.headers.get("authorization"),
            "forwarded_for": request.headers.get("x-forwarded-for"),
            "user_agent": request.headers.get("user-agent"),
            "cookie": request.headers.get("cookie"),
        }
        response = JSONResponse(seen, status_code=207)
        response.set_cookie("first", "1")
        response.set_cookie("second", "2")
        response.headers["x-not-forwarded"] = "internal"
        return response

    return echo


def test_what_is_forwarded_and_what_comes_back(stack: Stack) -> None:
    """Path, query as the browser encoded it, body and the listed headers go to the study
    service; its status, body and every Set-Cookie come back, and nothing else."""
    service = GatewayThread(_echo_service())
    service.start()
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=stack.activations_target,
                data_dir=stack.data_dir,
                evaluation_url=service.url,
                spa_dir=stack.base_path.parent / "no-spa",
            )
        )
    )
    gateway.start()
    try:
        response = httpx.post(
            f"{gateway.url}/api/student/answers?phase=pre&q=a%20b%26c",
            content=b'{"choice_index": 2}',
            headers={"Authorization": "Bearer t0ken", "User-Agent": "a browser"},
            timeout=30,
        )
        assert response.status_code == 207
        seen = response.json()
        assert seen["path"] == "/api/student/answers"
        assert seen["query"] == "phase=pre&q=a%20b%26c"
        assert seen["body"] == '{"choice_index": 2}'
        assert seen["authorization"] == "Bearer t0ken"
        assert seen["forwarded_for"] == "127.0.0.1"
        assert seen["user_agent"] != "a browser"  # not a forwarded header
        assert response.headers.get_list("set-cookie") == [
            "first=1; Path=/; SameSite=lax",
            "second=2; Path=/; SameSite=lax",
        ]
        assert "x-not-forwarded" not in response.headers
        # The gateway kept neither cookie: the next request carries none.
        again = httpx.get(f"{gateway.url}/api/instructor/me", timeout=30)
        assert (again.status_code, again.json()["cookie"]) == (207, None)
    finally:
        gateway.stop()
        service.stop()

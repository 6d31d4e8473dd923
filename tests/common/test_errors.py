"""The shared error handlers: one shape, and a browser that leaves is not an error."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.types import Message

from services.common.errors import ApiError, install_error_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.get("/refused")
    def refused() -> None:
        raise ApiError(409, "busy", "try later", {"Retry-After": "2"})

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError("secret internal detail")

    return app


def test_refusals_and_failures_have_one_shape_and_hide_internals() -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    refused = client.get("/refused")
    assert refused.status_code == 409 and refused.headers["retry-after"] == "2"
    assert refused.json() == {"error": {"code": "busy", "message": "try later"}}
    missing = client.get("/nowhere")
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": "There is nothing at this address.",
    }
    broken = client.get("/broken")
    assert broken.status_code == 500 and "secret" not in broken.text
    assert broken.json()["error"]["code"] == "internal_error"


def test_a_client_that_leaves_mid_upload_is_one_line_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = _app()
    sent: list[Message] = []
    messages: list[Message] = [
        {"type": "http.request", "body": b"x" * 1000, "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "path": "/upload",
        "raw_path": b"/upload",
        "query_string": b"",
        "headers": [(b"transfer-encoding", b"chunked")],
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
    }
    with caplog.at_level(logging.INFO):
        asyncio.run(app(scope, receive, send))
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [400]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in caplog.records if r.exc_info]
    assert any("client left" in r.getMessage() for r in caplog.records)

"""The one body limit of every service: declared and chunked bodies alike, per path."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from services.common.body_limit import BodyLimit, BodySizeLimit, studio_upload_limits
from services.common.errors import install_error_handlers

LIMIT = 1024 * 1024


def _client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/{path:path}")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(
        BodySizeLimit,
        default=BodyLimit(LIMIT, "Choose a smaller picture."),
        paths=studio_upload_limits(4 * LIMIT, 2 * LIMIT),
    )
    return TestClient(app)


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


def test_declared_and_chunked_bodies_over_the_limit_get_413_with_advice_for_the_path() -> None:
    client = _client()
    declared = client.post("/api/activations", content=b"x" * (LIMIT + 1))
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "body_too_large"
    assert "smaller picture" in declared.json()["error"]["message"]
    chunked = client.post("/api/activations", content=_chunks(11 * LIMIT))
    assert chunked.status_code == 413, chunked.text
    assert chunked.json()["error"]["code"] == "body_too_large"
    model = client.post("/api/studio/models/import", content=_chunks(3 * LIMIT))
    assert model.status_code == 413
    assert "picture" not in model.json()["error"]["message"]
    assert "model files" in model.json()["error"]["message"]


def test_bodies_within_the_limit_of_their_path_pass_whole() -> None:
    client = _client()
    assert client.post("/api/activations", content=_chunks(LIMIT)).json() == {"bytes": LIMIT}
    zip_sized = 3 * LIMIT
    answer = client.post("/api/studio/datasets", content=b"x" * zip_sized)
    assert answer.json() == {"bytes": zip_sized}

"""Per-client limits at the gateway, counted in a real Redis (and locally when it is away).

The apps run under uvicorn, which takes the client's address from ``X-Forwarded-For`` sent
from loopback (as behind the classroom's reverse proxy), so one test plays many clients.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI

from services.common.errors import install_error_handlers
from services.gateway.app import uvicorn_options
from services.gateway.rate_limits import RULES, RateLimits
from services.gateway.settings import GatewaySettings
from tests.serving.stack import GatewayThread

REDIS_URL = "redis://127.0.0.1:6379/0"


def _app(redis_url: str = REDIS_URL, scale: float = 1.0) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/instructor/login")
    def login() -> dict[str, str]:
        return {"status": "checked"}

    @app.post("/api/student/join")
    def join() -> dict[str, str]:
        return {"status": "joined"}

    app.add_middleware(
        RateLimits, redis_url=redis_url, key_prefix=f"test-{uuid.uuid4().hex}", scale=scale
    )
    return app


@contextmanager
def serving(*apps: FastAPI) -> Iterator[list[str]]:
    servers = [GatewayThread(app) for app in apps]
    for server in servers:
        server.start()
    try:
        yield [server.url for server in servers]
    finally:
        for server in servers:
            server.stop()


def _client(url: str, address: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"X-Forwarded-For": address}, timeout=10)


def test_one_client_over_the_login_limit_waits_and_others_do_not() -> None:
    with serving(_app()) as (url,):
        _flood_and_teacher(url)


def _flood_and_teacher(url: str) -> None:
    flooding = _client(url, "10.1.0.5")
    answers = [flooding.post("/api/instructor/login").status_code for _ in range(25)]
    assert answers[:20] == [200] * 20 and set(answers[20:]) == {429}
    refused = flooding.post("/api/instructor/login")
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    teacher = _client(url, "10.1.0.9")
    assert teacher.post("/api/instructor/login").status_code == 200
    # Other doors keep their own counts: the flood does not stop students joining.
    assert flooding.post("/api/student/join").status_code == 200


def test_a_join_flood_from_one_client_stops_at_the_class_sized_limit() -> None:
    """The measured attack: 300 fake participants from one client. A class's worth join."""
    limit = next(rule.per_minute for rule in RULES if rule.name == "join")
    with serving(_app()) as (url,):
        flooding = _client(url, "10.1.0.11")
        answers = Counter(flooding.post("/api/student/join").status_code for _ in range(300))
        assert answers == Counter({200: limit, 429: 300 - limit})
        # Another school (another address) joins as usual meanwhile.
        assert _client(url, "10.1.0.12").post("/api/student/join").status_code == 200


def test_the_counts_are_shared_by_every_gateway_process() -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    first, second = FastAPI(), FastAPI()
    for app in (first, second):

        @app.post("/api/instructor/login")
        def login() -> dict[str, str]:
            return {"status": "checked"}

        app.add_middleware(RateLimits, redis_url=REDIS_URL, key_prefix=prefix)
    with serving(first, second) as (url_one, url_two):
        one, two = _client(url_one, "10.1.0.6"), _client(url_two, "10.1.0.6")
        for _ in range(10):
            assert one.post("/api/instructor/login").status_code == 200
            assert two.post("/api/instructor/login").status_code == 200
        assert one.post("/api/instructor/login").status_code == 429
        assert two.post("/api/instructor/login").status_code == 429


def test_with_redis_away_each_process_still_counts() -> None:
    with serving(_app(redis_url="redis://127.0.0.1:1/0")) as (url,):  # nothing listens there
        client = _client(url, "10.1.0.7")
        answers = [client.post("/api/instructor/login").status_code for _ in range(21)]
    assert answers[:20] == [200] * 20 and answers[20] == 429


def test_scale_zero_turns_the_limits_off() -> None:
    with serving(_app(scale=0)) as (url,):
        client = _client(url, "10.1.0.8")
        assert {client.post("/api/instructor/login").status_code for _ in range(40)} == {200}


@pytest.mark.parametrize(
    ("trusted", "separate"), [(None, True), ("127.0.0.1", True), ("10.9.9.9", False)]
)
def test_the_forwarded_address_counts_only_from_a_trusted_proxy(
    trusted: str | None, separate: bool
) -> None:
    """As served (``uvicorn_options``). Behind compose's nginx every request comes from the
    proxy's address: unless the gateway believes its X-Forwarded-For, a whole class (and a
    stranger flooding the login) would share one count."""
    settings = (
        GatewaySettings() if trusted is None else GatewaySettings(gateway_trusted_proxies=trusted)
    )
    options = uvicorn_options(settings)
    assert options["proxy_headers"] is True
    server = GatewayThread(_app(), forwarded_allow_ips=options["forwarded_allow_ips"])
    server.start()
    try:
        flooding = _client(server.url, "10.1.0.21")
        answers = [flooding.post("/api/instructor/login").status_code for _ in range(21)]
        assert answers[:20] == [200] * 20 and answers[20] == 429
        teacher = _client(server.url, "10.1.0.22").post("/api/instructor/login")
        assert teacher.status_code == (200 if separate else 429)
    finally:
        server.stop()

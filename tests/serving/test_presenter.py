"""Presenter mode end to end over HTTP: real Redis, the real evaluation service checking the
instructor, two gateways (one in this process, one a separate ``python -m
services.gateway.app`` process) and 30 streaming followers split between them.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from evaluation.app import create_app as create_evaluation_app
from evaluation.settings import EvaluationSettings
from services.common.paths import PROJECT_ROOT
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.evaluation.conftest import PASSWORD, new_instructor
from tests.serving.stack import GatewayThread, RedisProcess, free_port, wait_until

HEARTBEAT_SECONDS = 1.0
PREFIX = "presenter-test"


@dataclass
class Platform:
    redis: RedisProcess
    evaluation: GatewayThread
    database_url: str
    gateway: GatewayThread
    replica_url: str

    @property
    def urls(self) -> tuple[str, str]:
        return self.gateway.url, self.replica_url

    def instructor(self) -> httpx.Client:
        """A client holding a fresh instructor's session cookie (through the gateway)."""
        client = httpx.Client(base_url=self.gateway.url, timeout=30)
        email = new_instructor(self.database_url)
        login = client.post("/api/instructor/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return client


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path) -> Iterator[Platform]:
    root = tmp_path_factory.mktemp("presenter")
    redis_process = RedisProcess(root)
    redis_process.start()
    database_url = f"sqlite:///{root / 'evaluation.db'}"
    evaluation = GatewayThread(
        create_evaluation_app(
            EvaluationSettings(
                evaluation_database_url=database_url, evaluation_bootstrap_instructor=None
            )
        )
    )
    evaluation.start()
    common = {
        "data_dir": real_data_dir,
        "spa_dir": root / "no-spa",
        "evaluation_url": evaluation.url,
        "redis_url": redis_process.url,
        "cache_prefix": PREFIX,
        "broker_url": redis_process.url_for(1),
        "result_backend": redis_process.url_for(1),
        "activations_target": f"127.0.0.1:{free_port()}",
        "presentation_heartbeat_seconds": HEARTBEAT_SECONDS,
        "retry_after_seconds": 2,
    }
    gateway = GatewayThread(create_app(GatewaySettings(**common)))  # type: ignore[arg-type]
    # Streams never end by themselves: let the server stop without waiting for them.
    gateway.server.config.timeout_graceful_shutdown = 2
    gateway.start()
    replica_port = free_port()
    env = {
        **os.environ,
        **{f"CNN101_{name.upper()}": str(value) for name, value in common.items()},
        "CNN101_GATEWAY_PORT": str(replica_port),
    }
    replica = subprocess.Popen(
        [sys.executable, "-m", "services.gateway.app"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    replica_url = f"http://127.0.0.1:{replica_port}"
    try:
        wait_until(
            lambda: httpx.get(f"{replica_url}/health/live").status_code == 200,
            "the second gateway process listens",
            timeout=90,
        )
        yield Platform(redis_process, evaluation, database_url, gateway, replica_url)
    finally:
        replica.terminate()
        replica.wait(timeout=20)
        gateway.stop()
        evaluation.stop()
        redis_process.stop()


# --- a follower: an SSE client --------------------------------------------------------


@dataclass
class Follower:
    """One student's stream; ``states`` are the parsed ``state`` events, in arrival order."""

    url: str
    code: str
    last_event_id: str | None = None
    states: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    comments: int = 0
    ended: bool = False
    status: int | None = None

    async def run(self, client: httpx.AsyncClient) -> None:
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        path = f"{self.url}/api/presentations/{self.code}/events"
        async with client.stream("GET", path, headers=headers, timeout=None) as response:
            self.status = response.status_code
            if response.status_code != 200:
                await response.aread()
                return
            assert response.headers["content-type"].startswith("text/event-stream")
            event: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    self.comments += 1
                elif line == "":
                    if event.get("event") == "state":
                        self.arrived.append(time.perf_counter())
                        self.states.append((int(event["id"]), json.loads(event["data"])))
                    elif event.get("event") == "end":
                        self.ended = True
                        return
                    event = {}
                else:
                    name, _, value = line.partition(":")
                    event[name] = value.removeprefix(" ")


class Followers:
    """Followers streaming on a background event loop, so a sync test can drive them."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.client: httpx.AsyncClient | None = None
        self.tasks: dict[int, Future[None]] = {}
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def start(self, follower: Follower) -> Follower:
        async def run() -> None:
            if self.client is None:
                limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
                self.client = httpx.AsyncClient(limits=limits)
            await follower.run(self.client)

        self.tasks[id(follower)] = asyncio.run_coroutine_threadsafe(run(), self.loop)
        return follower

    def stop(self, follower: Follower) -> None:
        task = self.tasks.pop(id(follower))
        task.cancel()

    def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        if self.client is not None:
            asyncio.run_coroutine_threadsafe(self.client.aclose(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture
def followers() -> Iterator[Followers]:
    running = Followers()
    yield running
    running.close()


def state(index: int) -> dict[str, Any]:
    """A distinct, valid explorer state per index."""
    return {
        "model": "tiny_vgg",
        "version": 1,
        "image": {"kind": "example", "id": f"val_{index}"},
        "scope": ("unit", "module", "global")[index % 3],
        "neuron": {"layer": "conv_1_1", "index": index % 10},
        "detail": {"kind": "pixel", "y": index % 60, "x": 3, "channel": None},
        "tab": "explorer",
    }


def start(platform: Platform) -> tuple[str, dict[str, str]]:
    created = platform.instructor().post("/api/presentations")
    assert created.status_code == 201, created.text
    body = created.json()
    return body["code"], {"X-Presenter-Token": body["presenter_token"]}


def put(url: str, code: str, token: dict[str, str], body: Any) -> httpx.Response:
    return httpx.put(
        f"{url}/api/presentations/{code}/state",
        content=json.dumps(body),
        headers={**token, "content-type": "application/json"},
        timeout=30,
    )


# --- the tests ---------------------------------------------------------------------------


def test_only_an_instructor_starts_a_presentation(platform: Platform) -> None:
    for url in platform.urls:
        anonymous = httpx.post(f"{url}/api/presentations")
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["code"] == "not_logged_in"
        forged = httpx.post(
            f"{url}/api/presentations", headers={"Cookie": "cnn101_instructor=forged.value"}
        )
        assert forged.status_code == 401
    code, token = start(platform)
    assert len(code) == 7 and code[3] == "-" and not set(code) & set("01OIL")
    assert len(token["X-Presenter-Token"]) >= 40
    # The token is not kept in Redis, only its SHA-256.
    stored = redis.Redis(port=platform.redis.port).hgetall(f"{PREFIX}:presentation:{code}")
    assert token["X-Presenter-Token"] not in str(stored)


def test_thirty_followers_on_two_gateways_see_every_change_in_order(
    platform: Platform, followers: Followers
) -> None:
    code, token = start(platform)
    assert put(platform.gateway.url, code, token, state(0)).status_code == 200
    crowd = [
        followers.start(Follower(platform.urls[i % 2], code.lower().replace("-", "")))
        for i in range(30)
    ]
    wait_until(lambda: all(len(f.states) == 1 for f in crowd), "every follower has the state")
    count = httpx.get(f"{platform.gateway.url}/api/presentations/{code}").json()
    assert count["followers"] == 30 and count["seq"] == 1
    sent: list[float] = []
    for index in range(1, 21):
        # The presenter PUTs to either replica: every follower gets it either way.
        sent.append(time.perf_counter())
        changed = put(platform.urls[index % 2], code, token, state(index))
        assert changed.status_code == 200, changed.text
        assert changed.json() == {"seq": index + 1, "followers": 30}
        time.sleep(0.02)
    wait_until(lambda: all(len(f.states) == 21 for f in crowd), "every follower has 21 states")
    for follower in crowd:
        assert [seq for seq, _ in follower.states] == list(range(1, 22))
        assert [body for _, body in follower.states] == [state(i) for i in range(21)]
    latencies = sorted(
        (arrived - sent[i]) * 1000 for f in crowd for i, arrived in enumerate(f.arrived[1:])
    )
    print(
        f"30 followers x 20 changes: p50 {latencies[len(latencies) // 2]:.1f} ms, "
        f"max {latencies[-1]:.1f} ms"
    )
    # An unchanged state is no event (the page PUTs only on change, but twice is harmless).
    again = put(platform.gateway.url, code, token, state(20))
    assert again.json()["seq"] == 21
    time.sleep(0.3)
    assert all(len(f.states) == 21 for f in crowd)


def test_a_late_joiner_gets_the_current_state_and_last_event_id_is_honoured(
    platform: Platform, followers: Followers
) -> None:
    code, token = start(platform)
    for index in range(3):
        put(platform.replica_url, code, token, state(index))
    late = followers.start(Follower(platform.gateway.url, code))
    wait_until(lambda: len(late.states) == 1, "the late joiner has the state")
    assert late.states == [(3, state(2))]
    # A reconnect that already showed seq 3 gets no state again, just the heartbeat.
    resumed = followers.start(Follower(platform.replica_url, code, last_event_id="3"))
    wait_until(lambda: resumed.comments >= 1, "a heartbeat arrives", timeout=10)
    assert resumed.states == []
    put(platform.gateway.url, code, token, state(7))
    wait_until(lambda: len(resumed.states) == 1, "the resumed follower has the change")
    assert resumed.states == [(4, state(7))]


def test_leave_and_rejoin_jumps_to_the_current_state(
    platform: Platform, followers: Followers
) -> None:
    code, token = start(platform)
    put(platform.gateway.url, code, token, state(1))
    student = followers.start(Follower(platform.gateway.url, code))
    wait_until(lambda: len(student.states) == 1, "following")
    followers.stop(student)
    wait_until(
        lambda: (
            httpx.get(f"{platform.gateway.url}/api/presentations/{code}").json()["followers"] == 0
        ),
        "the follower count drops when a student leaves",
    )
    for index in (2, 3, 4):
        put(platform.gateway.url, code, token, state(index))
    time.sleep(0.2)
    assert len(student.states) == 1  # left: saw nothing meanwhile
    back = followers.start(Follower(platform.replica_url, code))
    wait_until(lambda: len(back.states) == 1, "rejoined")
    assert back.states == [(4, state(4))]


def test_refusals_change_nothing(platform: Platform) -> None:
    code, token = start(platform)
    url = platform.gateway.url
    assert put(url, code, token, state(5)).status_code == 200
    bad_states: list[Any] = [
        {**state(1), "extra": 1},
        {**state(1), "scope": "everything"},
        {**state(1), "version": 0},
        {**state(1), "version": "1"},
        {**state(1), "model": "../../etc"},
        {**state(1), "image": {"kind": "example", "id": "a b"}},
        {**state(1), "image": {"kind": "digest", "digest": "AB" * 32}},
        {**state(1), "image": {"kind": "url", "id": "x"}},
        {**state(1), "neuron": {"layer": "conv", "index": -1}},
        {**state(1), "detail": {"kind": "pixel", "y": 1}},
        {**state(1), "tab": "admin"},
        [],
        "state",
        None,
    ]
    for body in bad_states:
        response = put(url, code, token, body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_state"
    refusals = [
        (put(url, code, {}, state(1)), 401, "presenter_token_required"),
        (put(url, code, {"X-Presenter-Token": "guess"}, state(1)), 403, "not_presenter"),
        (put(url, "ZZZ-ZZZ", token, state(1)), 404, "presentation_not_found"),
        (
            httpx.put(
                f"{url}/api/presentations/{code}/state",
                content=b"{" + b" " * 5000 + b"}",
                headers={**token, "content-type": "application/json"},
            ),
            413,
            "state_too_large",
        ),
        (
            httpx.put(
                f"{url}/api/presentations/{code}/state",
                content=json.dumps(state(1)),
                headers={**token, "content-type": "text/plain"},
            ),
            415,
            "json_required",
        ),
        (httpx.get(f"{url}/api/presentations/ZZZ-ZZZ/events"), 404, "presentation_not_found"),
        (httpx.get(f"{url}/api/presentations/ZZZ-ZZZ"), 404, "presentation_not_found"),
        (httpx.get(f"{url}/api/presentations/not-a-code/events"), 422, "invalid_request"),
        (httpx.delete(f"{url}/api/presentations/{code}"), 401, "presenter_token_required"),
        (
            httpx.delete(f"{url}/api/presentations/{code}", headers={"X-Presenter-Token": "x"}),
            403,
            "not_presenter",
        ),
        (
            httpx.put(
                f"{url}/api/presentations/{code}/state",
                json=state(1),
                headers={**token, "Origin": "http://evil.example"},
            ),
            403,
            "cross_site_request",
        ),
    ]
    for response, status, error_code in refusals:
        assert response.status_code == status, (response.request.url, response.text)
        assert response.json()["error"]["code"] == error_code
        assert set(response.json()["error"]) == {"code", "message"}
    now = httpx.get(f"{url}/api/presentations/{code}").json()
    assert now["seq"] == 1 and now["state"] == state(5)


def test_ending_tells_followers_and_the_code_is_gone(
    platform: Platform, followers: Followers
) -> None:
    code, token = start(platform)
    crowd = [followers.start(Follower(url, code)) for url in platform.urls]
    wait_until(lambda: all(len(f.states) == 1 for f in crowd), "following")
    ended = httpx.delete(f"{platform.replica_url}/api/presentations/{code}", headers=token)
    assert ended.status_code == 204
    wait_until(lambda: all(f.ended for f in crowd), "every follower got the end event")
    for url in platform.urls:
        assert httpx.get(f"{url}/api/presentations/{code}/events").status_code == 404
    assert put(platform.gateway.url, code, token, state(1)).status_code == 404


def test_redis_restart_is_survived(platform: Platform, followers: Followers) -> None:
    code, token = start(platform)
    put(platform.gateway.url, code, token, state(1))
    crowd = [followers.start(Follower(url, code)) for url in platform.urls]
    wait_until(lambda: all(len(f.states) == 1 for f in crowd), "following")
    # Redis writes its data when stopped with a save point, as a production Redis does.
    redis.Redis(port=platform.redis.port).config_set("save", "3600 1")
    platform.redis.stop()
    try:
        for url in platform.urls:
            down = put(url, code, token, state(2))
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"] == "2"
            assert down.json()["error"]["code"] == "presentation_unavailable"
            assert httpx.get(f"{url}/api/presentations/{code}/events").status_code == 503
    finally:
        platform.redis.start()
    restarted = time.perf_counter()
    wait_until(
        lambda: put(platform.replica_url, code, token, state(3)).status_code == 200,
        "a change is accepted again",
    )
    wait_until(lambda: all(len(f.states) == 2 for f in crowd), "the open streams get it")
    print(f"Redis back: changes delivered again after {time.perf_counter() - restarted:.2f} s")
    assert all(f.states[-1] == (2, state(3)) for f in crowd)
    assert not any(f.ended for f in crowd)


def test_instructor_check_unreachable_is_a_503(platform: Platform, real_data_dir: Path) -> None:
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                data_dir=real_data_dir,
                spa_dir=platform.redis.workdir / "no-spa",
                evaluation_url=f"http://127.0.0.1:{free_port()}",
                redis_url=platform.redis.url,
                cache_prefix=PREFIX,
                retry_after_seconds=3,
            )
        )
    )
    gateway.start()
    try:
        response = httpx.post(
            f"{gateway.url}/api/presentations", headers={"Cookie": "cnn101_instructor=x"}
        )
        assert response.status_code == 503
        assert response.headers["retry-after"] == "3"
        assert set(response.json()["error"]) == {"code", "message"}
    finally:
        gateway.stop()

"""Warming the cache: the plain function, and a real Celery worker driven over HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from services.worker.app import beat_command, worker_command
from services.worker.warming import activation_stub, served_versions, warm_examples
from tests.exports import export_untrained
from tests.serving.conftest import Stack
from tests.serving.stack import wait_until


def _bundle_keys(stack: Stack, model: str, version: int) -> int:
    client = redis.Redis.from_url(stack.redis.url)
    return sum(1 for _ in client.scan_iter(f"{stack.prefix}:bundle:{model}:{version}:*"))


def test_warm_examples_fills_the_cache_once(stack: Stack) -> None:
    provider = stack.activations.provider
    channel, stub = activation_stub(stack.activations_target)
    seen: list[tuple[int, int]] = []
    ids = ["val_1083", "val_1097", "val_1191"]
    with channel:
        before = provider.inference_calls
        assert warm_examples(stub, "tiny_vgg", 1, ids, lambda d, t: seen.append((d, t))) == 3
        first_calls = provider.inference_calls - before
        warm_examples(stub, "tiny_vgg", 1, ids)
        assert ("tiny_vgg", 1) in served_versions(stub)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert first_calls <= 3  # fewer if an earlier test already cached one
    assert provider.inference_calls - before == first_calls  # the second pass hit the cache


@pytest.fixture(scope="module")
def worker(stack: Stack) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process and the beat scheduler, on the test's own Redis."""
    env = os.environ | {
        "CNN101_BROKER_URL": stack.redis.url_for(1),
        "CNN101_RESULT_BACKEND": stack.redis.url_for(1),
        "CNN101_REDIS_URL": stack.redis.url,
        "CNN101_CACHE_PREFIX": stack.prefix,
        "CNN101_ACTIVATIONS_TARGET": stack.activations_target,
        "CNN101_DATA_DIR": str(stack.data_dir),
        "CNN101_VERSION_WATCH_SECONDS": "1",
        # Its own folder: the session's other gateways keep opening with the first example.
        "CNN101_STATIC_ROOT": str(stack.base_path.parent / "worker-static"),
    }
    schedule = str(stack.base_path.parent / "beat-schedule")
    process = subprocess.Popen([*worker_command(sys.executable), "--loglevel", "WARNING"], env=env)
    beat = subprocess.Popen(
        [*beat_command(sys.executable, schedule), "--loglevel", "WARNING"], env=env
    )
    yield process
    for running in (beat, process):
        running.terminate()
        running.wait(timeout=30)


def test_a_job_started_over_http_reports_progress_and_result(
    stack: Stack, worker: subprocess.Popen[bytes]
) -> None:
    http = httpx.Client(base_url=stack.gateway.url, timeout=30)
    started = http.post("/api/models/tiny_vgg/versions/1/warm")
    assert started.status_code == 202
    status_url = started.json()["status_url"]
    states = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        body = http.get(status_url).json()
        states.append(body["state"])
        if body["state"] in {"SUCCESS", "FAILURE"}:
            break
        time.sleep(0.1)
    assert body["state"] == "SUCCESS", body
    assert body["done"] == body["total"] == 250
    assert set(states) <= {"PENDING", "STARTED", "PROGRESS", "SUCCESS"}
    assert _bundle_keys(stack, "tiny_vgg", 1) >= 250
    assert http.post("/api/models/nope/versions/1/warm").status_code == 404


def test_a_new_model_version_is_warmed_by_itself(
    stack: Stack, worker: subprocess.Popen[bytes]
) -> None:
    export_untrained(stack.base_path, "second", version=1, seed=5)
    try:
        wait_until(
            lambda: _bundle_keys(stack, "second", 1) == 250,
            "the worker warmed every example of the new version",
            timeout=240,
        )
        # The task records the version as warmed just after its last bundle is stored.
        warmed_key = f"{stack.prefix}:warmed"
        wait_until(
            lambda: b"second:1" in redis.Redis.from_url(stack.redis.url).smembers(warmed_key),
            "the worker recorded the version as warmed",
            timeout=30,
        )
    finally:  # the shared stack serves tiny_vgg alone again for the tests that follow
        shutil.rmtree(stack.base_path / "second")
        wait_until(
            lambda: (
                [m["name"] for m in httpx.get(f"{stack.gateway.url}/api/models").json()["models"]]
                == ["tiny_vgg"]
            ),
            "the removed model is no longer served",
        )

"""``cnn101 run`` starts the whole platform as processes, reports the URL, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from services.runner import service_commands
from tests.serving.stack import free_port


def _closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class RunningPlatform:
    """``cnn101 run`` as a student's machine runs it, with what it printed at start."""

    process: subprocess.Popen[str]
    ports: dict[str, int]
    output: str
    log_dir: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.ports['GATEWAY']}"

    def processes(self) -> dict[str, dict[str, Any]]:
        status: dict[str, dict[str, Any]] = json.loads(
            (self.log_dir / "processes.json").read_text()
        )["processes"]
        return status


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    tmp_path = tmp_path_factory.mktemp("run")
    ports = {
        name: free_port()
        for name in ("GATEWAY", "INFERENCE", "ACTIVATIONS", "EVALUATION", "STUDIO")
    }
    env = (
        os.environ
        | {f"CNN101_{name}_PORT": str(port) for name, port in ports.items()}
        | {
            # nothing listens here, so the runner starts a private redis-server
            "CNN101_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "CNN101_CACHE_MAX_MEMORY": "64mb",
            "CNN101_LOG_DIR": str(tmp_path / "logs"),
            "CNN101_CACHE_PREFIX": f"runner-{os.getpid()}",
            "CNN101_EVALUATION_DATABASE_URL": f"sqlite:///{tmp_path / 'study.db'}",
            "CNN101_STUDIO_DATABASE_URL": f"sqlite:///{tmp_path / 'study.db'}",
            "CNN101_EVALUATION_SECRET_KEY_FILE": str(tmp_path / "secret-key"),
            "CNN101_EVALUATION_BOOTSTRAP_LOGIN_FILE": str(tmp_path / "login"),
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "CNN 101 is running" in line:
            break
    platform = RunningPlatform(process, ports, "".join(lines), tmp_path / "logs")
    try:
        yield platform
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, platform.output + rest
    assert "Stopping" in rest
    for port in ports.values():
        assert _closed(port)


def test_run_starts_everything(running: RunningPlatform) -> None:
    output = running.output
    assert f"http://localhost:{running.ports['GATEWAY']}/" in output, output
    assert "top-1 on the validation images" in output
    assert "Study dashboard login: instructor@localhost" in output
    # It waited for each service, the worker included, before printing the address.
    for service in ("inference", "activations", "cache", "study", "studio", "worker"):
        assert f"  {service}: healthy" in output, output
    assert output.index("worker: healthy") < output.index("CNN 101 is running")
    ready = httpx.get(f"{running.base}/health/ready", timeout=30).json()
    assert ready["status"] == "ok", ready
    expected = {"redis", "cache-redis", "inference-2", *service_commands("p", "/s")}
    assert set(ready["processes"]) == expected
    assert len(httpx.get(f"{running.base}/api/examples", timeout=60).json()["examples"]) == 250


def _cache_redis(running: RunningPlatform) -> redis.Redis:
    log = (running.log_dir / "activations.log").read_text()
    assert "the cache's Redis is bounded: maxmemory 67108864, allkeys-lru" in log, log
    pid = running.processes()["cache-redis"]["pid"]
    # redis-server shows itself as "redis-server 127.0.0.1:<port>"
    command = Path(f"/proc/{pid}/cmdline").read_bytes().decode().strip("\0 ")
    port = int(command.rsplit(":", 1)[1])
    return redis.Redis(port=port)


class ClassOfStudents:
    """A few students asking for examples' activations the whole time, from threads."""

    def __init__(self, base: str, examples: list[str]) -> None:
        self.base, self.examples = base, examples
        self.answers: list[tuple[int, bool]] = []  # status, had Retry-After
        self.refused = 0  # connection refused: only while the gateway itself restarts
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._student, args=(i,)) for i in range(4)]

    def _student(self, index: int) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            step = index
            while not self._stop.is_set():
                example = self.examples[step % len(self.examples)]
                step += 4
                try:
                    response = client.get(f"/api/examples/{example}/activations?version=1")
                except httpx.TransportError:
                    self.refused += 1
                    time.sleep(0.1)
                    continue
                self.answers.append((response.status_code, "retry-after" in response.headers))
                time.sleep(0.05)

    def __enter__(self) -> ClassOfStudents:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


@pytest.mark.parametrize(
    "victim",
    [
        "activations",
        "inference",
        "inference-2",
        "worker",
        "beat",
        "model-worker",
        "cache-redis",
        "studio",
        "evaluation",
        "gateway",
    ],
)
def test_a_killed_service_is_restarted_while_the_class_goes_on(
    running: RunningPlatform, victim: str
) -> None:
    """SIGKILL of one service: the gateway answers meanwhile (a result, or 503 with
    Retry-After), the supervisor restarts it, and readiness is ``ok`` again."""
    # Everything up (each process answered its liveness check) before the kill.
    deadline = time.monotonic() + 120
    while not all(p["state"] == "running" for p in running.processes().values()):
        assert time.monotonic() < deadline, running.processes()
        time.sleep(0.2)
    before = running.processes()[victim]
    examples = [
        e["id"] for e in httpx.get(f"{running.base}/api/examples", timeout=60).json()["examples"]
    ]
    with ClassOfStudents(running.base, examples[:40]) as students:
        time.sleep(1)
        killed_at = time.monotonic()
        os.kill(before["pid"], signal.SIGKILL)
        ready: float | None = None  # the gateway's readiness "ok" again
        recovered = None  # the victim's new process answers its liveness check
        deadline = killed_at + 90
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = running.processes()[victim]
            if now["restarts"] == before["restarts"] + 1 and ready is None and _ready(running.base):
                ready = time.monotonic() - killed_at
            if now["restarts"] == before["restarts"] + 1 and now["state"] == "running":
                recovered = time.monotonic() - killed_at
                if ready is not None:
                    break
        time.sleep(1)
    assert recovered is not None and ready is not None, running.processes()
    print(f"{victim}: platform ready {ready:.1f} s, process up {recovered:.1f} s after SIGKILL")
    # The bound of the test; the figures themselves: scripts/bench_recovery.py.
    assert ready < 30
    statuses = {status for status, _ in students.answers}
    assert statuses <= {200, 503}, statuses
    assert all(retry for status, retry in students.answers if status == 503)
    assert students.answers[-1][0] == 200
    if victim != "gateway":
        assert students.refused == 0
    if victim == "cache-redis":
        config = _cache_redis(running).config_get("maxmemory*")
        assert config["maxmemory"] == str(64 * 2**20), config
        assert config["maxmemory-policy"] == "allkeys-lru"


def _ready(base: str) -> bool:
    try:
        response = httpx.get(f"{base}/health/ready", timeout=5)
    except httpx.TransportError:
        return False
    return response.status_code == 200 and response.json()["status"] == "ok"


def test_compose_and_kubernetes_run_these_commands() -> None:
    """One list of commands (the compose and manifest tests compare against it)."""
    commands = service_commands("python", "/state")
    assert list(commands) == [
        "inference",
        "activations",
        "worker",
        "beat",
        "model-worker",
        "evaluation",
        "studio",
        "gateway",
    ]
    assert commands["model-worker"][-5:] == [
        "models",
        "--concurrency",
        "1",
        "--hostname",
        "models@%h",
    ]
    assert commands["beat"][-4:-2] == ["--schedule", "/state/beat-schedule"]
    assert "-B" not in commands["worker"]
    assert all(command[0] == "python" for command in commands.values())


def test_a_missing_redis_is_explained(tmp_path: Path) -> None:
    """No Redis answering and no redis-server to start: a message saying how to get one."""
    env = os.environ | {
        "CNN101_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "PATH": str(tmp_path),  # redis-server cannot be found
        "CNN101_LOG_DIR": str(tmp_path / "logs"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "redis-server is not installed" in result.stderr
    assert "apt-get install redis-server" in result.stderr


def test_a_missing_data_directory_is_explained(tmp_path: Path) -> None:
    env = os.environ | {"CNN101_DATA_DIR": str(tmp_path / "nowhere")}
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "CNN101_DATA_DIR" in result.stderr

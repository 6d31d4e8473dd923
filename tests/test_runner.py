"""``cnn101 run`` starts the whole platform as processes, reports the URL, stops cleanly."""

from __future__ import annotations

import functools
import json
import os
import re
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
from sqlalchemy import select

from evaluation.models import Answer, Participant
from services.runner import service_commands, set_study_processes
from tests.databases import db_session
from tests.process_tree import uvicorn_workers
from tests.reliability.test_access import login
from tests.reliability.test_access import open_study as opened_study
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
    # The default model's own figure: held-out accuracy if its description has one.
    assert re.search(
        r"Model tiny_vgg version \d+: \d+\.\d% top-1 on (its held-out|the selection) images", output
    )
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


def test_the_study_runs_a_process_per_core_up_to_two(running: RunningPlatform) -> None:
    """A class's answers need more than one core; the workers count failed logins in the
    platform's Redis, so they share the five tries."""
    master = running.processes()["evaluation"]["pid"]
    expected = min(2, len(os.sched_getaffinity(0)))
    deadline = time.monotonic() + 30
    while len(uvicorn_workers(master)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(uvicorn_workers(master)) == expected


def _cache_redis(running: RunningPlatform) -> redis.Redis:
    log = (running.log_dir / "activations.log").read_text()
    assert "the cache's Redis is bounded: maxmemory 67108864, allkeys-lru" in log, log
    pid = running.processes()["cache-redis"]["pid"]
    # redis-server shows itself as "redis-server 127.0.0.1:<port>"
    command = Path(f"/proc/{pid}/cmdline").read_bytes().decode().strip("\0 ")
    port = int(command.rsplit(":", 1)[1])
    return redis.Redis(port=port)


class QuizTaker:
    """A student who joins the open study and answers the pre-test one item at a time,
    sending each answer again (same submission id) until it is acknowledged, as the
    student page does. ``acknowledged`` is what the study service confirmed."""

    def __init__(self, base: str, join_code: str, name: str) -> None:
        self.base, self.join_code, self.name = base, join_code, name
        self.acknowledged: dict[str, tuple[int, int]] = {}
        self.statuses: set[int] = set()
        self.items = 0

    def _until_done(self, send: Any) -> httpx.Response:
        while True:
            try:
                response: httpx.Response = send()
            except httpx.TransportError:  # only while the gateway itself restarts
                time.sleep(0.2)
                continue
            self.statuses.add(response.status_code)
            if response.status_code != 503:
                return response
            time.sleep(0.2)

    def run(self, stop: threading.Event) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            joined = self._until_done(
                lambda: client.post("/api/student/join", json={"code": self.join_code})
            )
            client.headers["Authorization"] = f"Bearer {joined.json()['token']}"
            consent = {"choice": "participate", "prior_ml": False}
            self._until_done(lambda: client.post("/api/student/consent", json=consent))
            items = self._until_done(lambda: client.post("/api/student/phases/pre/start"))
            self.items = len(items.json()["items"])
            for number, item in enumerate(items.json()["items"]):
                body = {
                    "submission_id": f"{self.name}-{item['id']}",
                    "phase": "pre",
                    "item_id": item["id"],
                    "choice_index": number % 4,
                }
                answer = self._until_done(
                    functools.partial(client.post, "/api/student/answers", json=body)
                )
                if answer.status_code == 200:
                    self.acknowledged[body["submission_id"]] = (item["id"], number % 4)
                if not stop.is_set():
                    time.sleep(0.3)


class ClassOfStudents:
    """A few students asking for examples' activations the whole time, from threads, and
    two taking the study's pre-test meanwhile."""

    def __init__(self, base: str, examples: list[str], join_code: str, name: str) -> None:
        self.base, self.examples = base, examples
        self.answers: list[tuple[int, bool]] = []  # status, had Retry-After
        self.refused = 0  # connection refused: only while the gateway itself restarts
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._student, args=(i,)) for i in range(4)]
        self.quiz_takers = [QuizTaker(base, join_code, f"{name}-{i}") for i in range(2)]
        self._threads += [
            threading.Thread(target=taker.run, args=(self._stop,)) for taker in self.quiz_takers
        ]

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


@dataclass
class OpenStudy:
    id: int
    join_code: str
    database_url: str


@pytest.fixture(scope="module")
def open_study(running: RunningPlatform) -> OpenStudy:
    """A study open for the whole module, with a pre-test long enough for every kill."""
    database_url = f"sqlite:///{running.log_dir.parent / 'study.db'}"
    with httpx.Client(base_url=running.base, timeout=30) as client:
        study = opened_study(client, login(client, database_url), pre_test_seconds=7200)
    return OpenStudy(int(str(study["id"])), str(study["join_code"]), database_url)


def stored_answers(study: OpenStudy, prefix: str) -> list[tuple[str, int, int]]:
    with db_session(study.database_url) as db:
        rows = db.execute(
            select(Answer.submission_id, Answer.item_id, Answer.choice_index)
            .join(Participant, Participant.id == Answer.participant_id)
            .where(Participant.study_id == study.id, Answer.submission_id.startswith(prefix))
        ).all()
    return [(row.submission_id, row.item_id, row.choice_index) for row in rows]


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
    running: RunningPlatform, open_study: OpenStudy, victim: str
) -> None:
    """SIGKILL of one service: the gateway answers meanwhile (a result, or 503 with
    Retry-After), the supervisor restarts it, readiness is ``ok`` again, and every answer
    the study acknowledged to the two students taking the pre-test is stored, once."""
    # Everything up (each process answered its liveness check) before the kill.
    deadline = time.monotonic() + 120
    while not all(p["state"] == "running" for p in running.processes().values()):
        assert time.monotonic() < deadline, running.processes()
        time.sleep(0.2)
    before = running.processes()[victim]
    examples = [
        e["id"] for e in httpx.get(f"{running.base}/api/examples", timeout=60).json()["examples"]
    ]
    with ClassOfStudents(running.base, examples[:40], open_study.join_code, victim) as students:
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
    acknowledged = {
        submission: answer
        for taker in students.quiz_takers
        for submission, answer in taker.acknowledged.items()
    }
    assert all(
        taker.items and len(taker.acknowledged) == taker.items for taker in students.quiz_takers
    )
    assert all(taker.statuses <= {200, 201, 204, 503} for taker in students.quiz_takers)
    stored = stored_answers(open_study, f"{victim}-")
    assert len(stored) == len({row[0] for row in stored})  # none stored twice
    assert {row[0]: (row[1], row[2]) for row in stored} == acknowledged
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


def test_study_processes_default_to_the_cores_unless_the_environment_chose() -> None:
    base = "redis://127.0.0.1:6379"
    chosen: dict[str, str] = {}
    set_study_processes(chosen, base)
    cores = len(os.sched_getaffinity(0))
    assert chosen == {
        "CNN101_EVALUATION_LIMITS_STORAGE": f"{base}/2",
        "CNN101_EVALUATION_WORKERS": str(min(2, cores)),
    }
    kept = {"CNN101_EVALUATION_WORKERS": "1"}
    set_study_processes(kept, base)
    assert kept["CNN101_EVALUATION_WORKERS"] == "1"
    # Counting in each process's memory would multiply the tries: one process then.
    alone = {"CNN101_EVALUATION_LIMITS_STORAGE": "memory://"}
    set_study_processes(alone, base)
    assert "CNN101_EVALUATION_WORKERS" not in alone


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

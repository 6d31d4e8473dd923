"""What the study's class-wide requests cost the study service: CPU per request, latency, rate.

The 1,000-student load test (docs/sizing.md) peaks when the class joins and consents, when
it answers the pre-test (about 285 answers a second) and when it is assigned. This starts
the evaluation service alone, as a plain process on its own database (a fresh SQLite file,
or ``--database-url`` of an empty PostgreSQL database), opens a study, and sends the class's
steps one after the other, each from ``--clients`` threads with keep-alive connections,
straight to the service: ``--students`` joins, consents, pre-test starts, every answer of
the pre-test, its finishes and the assignments. For each step it prints the service's CPU
milliseconds per request (from /proc), p50/p95 latency and the rate, and checks every
request got its expected status. With ``--through-gateway`` the requests go through a
gateway process in front of the service, as on ``make run`` (one gateway worker; the
gateway's CPU per request is printed too).

    .venv/bin/python scripts/bench_answers.py --students 200
    .venv/bin/python scripts/bench_answers.py --students 200 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_answers
    .venv/bin/python scripts/bench_answers.py --students 200 --through-gateway
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadtest_stage import INSTRUCTOR, _cpu_seconds, _open_study
from running_platform import free_port

ROOT = Path(__file__).resolve().parents[1]


def _start_service(database_url: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = os.environ | {
        "CNN101_EVALUATION_PORT": str(port),
        "CNN101_EVALUATION_DATABASE_URL": database_url,
        "CNN101_EVALUATION_SECRET_KEY_FILE": str(folder / "secret-key"),
        "CNN101_EVALUATION_BOOTSTRAP_LOGIN_FILE": str(folder / "login"),
        "CNN101_EVALUATION_BOOTSTRAP_INSTRUCTOR": "",
        "CNN101_RATE_LIMIT_SCALE": "0",
    }
    create = ["create-instructor", "--email", INSTRUCTOR[0], "--password-stdin"]
    subprocess.run(
        [sys.executable, "-m", "evaluation.cli", *create],
        input=(INSTRUCTOR[1] + "\n").encode(),
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return _launch("evaluation.app", env, folder / "evaluation.log", port, ("/health", 200))


def _start_gateway(study_url: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """One gateway worker forwarding to the study service (the rest of the platform absent:
    the study's routes need none of it)."""
    port = free_port()
    env = os.environ | {
        "CNN101_GATEWAY_PORT": str(port),
        "CNN101_GATEWAY_WORKERS": "1",
        "CNN101_EVALUATION_URL": study_url,
        "CNN101_RATE_LIMIT_SCALE": "0",
        "CNN101_REDIS_URL": "redis://127.0.0.1:6379/9",
        "CNN101_CACHE_PREFIX": f"bench-answers-{port}",
    }
    # Up when it forwards: a student's state without a token is the study's 401.
    ready = ("/api/student/state", 401)
    return _launch("services.gateway.app", env, folder / "gateway.log", port, ready)


def _launch(
    module: str, env: dict[str, str], log_path: Path, port: int, ready: tuple[str, int]
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``python -m module`` logging to ``log_path``; wait (30 s at most) until the
    ``ready`` path answers its status on ``port``."""
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", module], env=env, cwd=ROOT, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    path, status = ready
    for _ in range(300):
        try:
            if httpx.get(f"{url}{path}", timeout=1).status_code == status:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{module} did not start; see {log_path}")


# One request of a step: method, path, the student's token ("" before the join), JSON body.
Job = tuple[str, str, str, dict[str, Any] | None]


@dataclass
class StepResult:
    """What a step's requests got back and what they cost."""

    latencies: list[float] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)  # in the order of the jobs
    seconds: float = 0.0


def _send_all(url: str, jobs: list[Job], clients: int, expected: int) -> StepResult:
    """Send every job from ``clients`` threads with kept-alive connections, as a class's
    browsers send one step together: the answers come back in the jobs' order."""
    result = StepResult(bodies=[None] * len(jobs))
    lock = threading.Lock()
    queue = iter(enumerate(jobs))

    def send() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while True:
                with lock:
                    job = next(queue, None)
                if job is None:
                    return
                index, (method, path, token, body) = job
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                started = time.perf_counter()
                response = http.request(method, path, json=body, headers=headers)
                elapsed = time.perf_counter() - started
                with lock:
                    result.latencies.append(elapsed)
                    if response.status_code != expected:
                        result.failures.append(response.status_code)
                    elif response.content:
                        result.bodies[index] = response.json()

    started = time.perf_counter()
    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def _answer(token: str, item: dict[str, Any]) -> Job:
    body = {"submission_id": uuid.uuid4().hex, "phase": "pre", "item_id": item["id"]}
    return ("POST", "/api/student/answers", token, body | {"choice_index": 0})


def _steps(code: str, students: int) -> list[tuple[str, int, Callable[[list[Any]], list[Job]]]]:
    """The class's steps in order: a name, the status each request expects, and how its
    jobs follow from the previous step's answers (the tokens, then the pre-test's items)."""
    tokens: list[str] = []

    def joins(_: list[Any]) -> list[Job]:
        return [("POST", "/api/student/join", "", {"code": code})] * students

    def consents(joined: list[Any]) -> list[Job]:
        tokens.extend(body["token"] for body in joined)
        consent = {"choice": "participate", "prior_ml": False}
        return [("POST", "/api/student/consent", token, consent) for token in tokens]

    def starts(_: list[Any]) -> list[Job]:
        return [("POST", "/api/student/phases/pre/start", token, None) for token in tokens]

    def answers(views: list[Any]) -> list[Job]:
        return [
            _answer(token, item)
            for token, view in zip(tokens, views, strict=True)
            for item in view["items"]
        ]

    def finishes(_: list[Any]) -> list[Job]:
        return [("POST", "/api/student/phases/pre/finish", token, None) for token in tokens]

    def assignments(_: list[Any]) -> list[Job]:
        return [("POST", "/api/student/assignment", token, None) for token in tokens]

    return [
        ("join", 201, joins),
        ("consent", 204, consents),
        ("pre-test start", 200, starts),
        ("answer", 200, answers),
        ("pre-test finish", 200, finishes),
        ("assignment", 200, assignments),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument(
        "--through-gateway", action="store_true", help="send the answers through a gateway"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cnn101-bench-answers-"))
    database_url = args.database_url or f"sqlite:///{folder / 'study.db'}"
    process, url = _start_service(database_url, folder)
    gateway: subprocess.Popen[bytes] | None = None
    failures = 0
    try:
        if args.through_gateway:
            gateway, url = _start_gateway(url, folder)
        # The load test's study (pre-test 900 s: far longer than the answers take).
        code = _open_study(url, argparse.Namespace(learning_seconds=600), args.students)
        print(
            f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; "
            f"{'PostgreSQL' if database_url.startswith('postgresql') else 'SQLite'}; "
            f"{args.students} students, {args.clients} clients"
            + ("; through a gateway" if gateway else "")
        )
        print(
            f"{'step':<16} {'requests':>8} {'per s':>6} {'p50 ms':>7} {'p95 ms':>7} "
            f"{'study CPU ms':>12}" + (f" {'gateway CPU ms':>14}" if gateway else "") + "  failed"
        )
        bodies: list[Any] = []
        for name, expected, make_jobs in _steps(code, args.students):
            jobs = make_jobs(bodies)
            cpu_before = _cpu_seconds({process.pid})
            gateway_before = _cpu_seconds({gateway.pid}) if gateway else 0.0
            result = _send_all(url, jobs, args.clients, expected)
            cpu = (_cpu_seconds({process.pid}) - cpu_before) * 1000 / len(jobs)
            gateway_after = _cpu_seconds({gateway.pid}) if gateway else 0.0
            gateway_cpu = (gateway_after - gateway_before) * 1000 / len(jobs)
            cuts = statistics.quantiles(result.latencies, n=100)
            print(
                f"{name:<16} {len(jobs):>8} {len(jobs) / result.seconds:>6.0f} "
                f"{cuts[49] * 1000:>7.1f} {cuts[94] * 1000:>7.1f} {cpu:>12.2f}"
                + (f" {gateway_cpu:>14.2f}" if gateway else "")
                + f"  {len(result.failures)} {sorted(set(result.failures)) or ''}"
            )
            failures += len(result.failures)
            if result.failures:
                break  # the next step needs every answer of this one
            bodies = result.bodies
    finally:
        for started_process in (gateway, process):
            if started_process is not None:
                started_process.terminate()
                started_process.wait(timeout=30)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

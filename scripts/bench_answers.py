"""What one stored quiz answer costs the study service: CPU per answer, latency, answers/s.

The 1,000-student load test (docs/sizing.md) peaks when the class answers the pre-test:
about 285 answers a second. This starts the evaluation service alone, as a plain process on
its own database (a fresh SQLite file, or ``--database-url`` of an empty PostgreSQL
database), opens a study, lets ``--students`` students join, consent and start the
pre-test, then sends every one of their answers from ``--clients`` threads with keep-alive
connections, straight to the service (no gateway). Prints the service's CPU milliseconds
per answer (from /proc), the answers' p50/p95 latency and the rate, and checks every answer
got its receipt. With ``--through-gateway`` the answers go through a gateway process in front
of the service, as on ``make run`` (one gateway worker; the gateway's CPU per answer is
printed too).

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
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadtest_stage import INSTRUCTOR, _cpu_seconds, _open_study
from running_platform import free_port

ROOT = Path(__file__).resolve().parents[1]
Answer = tuple[str, dict[str, Any]]  # a student's token and one answer's body


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


def _student_answers(http: httpx.Client, code: str) -> list[Answer]:
    """Join, consent, start the pre-test: the answers this student will send."""
    token = http.post("/api/student/join", json={"code": code}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    http.post(
        "/api/student/consent", json={"choice": "participate", "prior_ml": False}, headers=auth
    ).raise_for_status()
    view = http.post("/api/student/phases/pre/start", headers=auth).json()
    return [
        (
            token,
            {
                "submission_id": uuid.uuid4().hex,
                "phase": "pre",
                "item_id": item["id"],
                "choice_index": 0,
            },
        )
        for item in view["items"]
    ]


def _send_all(url: str, work: list[Answer], clients: int) -> tuple[list[float], list[int], float]:
    """Send every answer from ``clients`` threads: latencies, failed statuses, seconds."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    queue = iter(work)

    def send() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while True:
                with lock:
                    job = next(queue, None)
                if job is None:
                    return
                token, body = job
                started = time.perf_counter()
                response = http.post(
                    "/api/student/answers", json=body, headers={"Authorization": f"Bearer {token}"}
                )
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        failures.append(response.status_code)

    started = time.perf_counter()
    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, time.perf_counter() - started


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
    try:
        if args.through_gateway:
            gateway, url = _start_gateway(url, folder)
        # The load test's study (pre-test 900 s: far longer than the answers take).
        code = _open_study(url, argparse.Namespace(learning_seconds=600), args.students)
        with httpx.Client(base_url=url, timeout=60) as http:
            work = [a for _ in range(args.students) for a in _student_answers(http, code)]
        load = os.getloadavg()[0]
        cpu_before = _cpu_seconds({process.pid})
        gateway_before = _cpu_seconds({gateway.pid}) if gateway else 0.0
        latencies, failures, seconds = _send_all(url, work, args.clients)
        cpu = _cpu_seconds({process.pid}) - cpu_before
        gateway_cpu = _cpu_seconds({gateway.pid}) - gateway_before if gateway else 0.0
    finally:
        for started_process in (gateway, process):
            if started_process is not None:
                started_process.terminate()
                started_process.wait(timeout=30)
    cuts = statistics.quantiles(latencies, n=100)
    database = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(f"load average before: {load:.2f}; {os.cpu_count()} cores; {database}")
    print(
        f"{len(work)} answers from {args.students} students, {args.clients} clients: "
        f"{len(work) / seconds:.0f} answers/s, p50 {cuts[49] * 1000:.1f} ms, "
        f"p95 {cuts[94] * 1000:.1f} ms"
    )
    print(f"study service CPU: {cpu * 1000 / len(work):.2f} ms per answer")
    if gateway is not None:
        print(f"gateway CPU: {gateway_cpu * 1000 / len(work):.2f} ms per answer")
    print(f"answers not stored: {len(failures)} {sorted(set(failures))}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

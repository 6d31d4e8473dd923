"""Benchmark presenter mode: how long a teacher's change takes to reach every follower.

Starts what presenter mode needs as processes on free ports (a private Redis, the study
service on SQLite with one instructor, ``--gateways`` gateway processes), or targets a
running gateway (``--url`` with ``--email``/``--password``). Then: one presenter, N followers
(``--followers``, spread over the gateways and ``--client-processes`` client processes, each
an asyncio httpx SSE client), K changes (``--changes``, one every ``--interval`` s), and it
prints the delivery latency (presenter's PUT sent → follower's event parsed; one monotonic
clock, one machine) as p50/p95/p99/max, the PUT's own latency, and the events missed or out
of order. Figures, not assertions: the clients share the machine with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "presenter benchmark password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what} ({url})")


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@contextmanager
def platform(gateways: int) -> Iterator[tuple[list[str], str]]:
    """Redis, the study service with one instructor, and the gateways; their URLs, an email."""
    folder = Path(tempfile.mkdtemp(prefix="bench-presenter-"))
    redis_port, evaluation_port = _free_port(), _free_port()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("redis-server is needed (or use --url)")
    database = f"sqlite:///{folder / 'evaluation.db'}"
    env = {
        **os.environ,
        "CNN101_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CNN101_BROKER_URL": f"redis://127.0.0.1:{redis_port}/1",
        "CNN101_RESULT_BACKEND": f"redis://127.0.0.1:{redis_port}/1",
        "CNN101_EVALUATION_DATABASE_URL": database,
        "CNN101_EVALUATION_PORT": str(evaluation_port),
        "CNN101_EVALUATION_URL": f"http://127.0.0.1:{evaluation_port}",
        # One address plays every follower: the per-client limits would count it as one.
        "CNN101_RATE_LIMIT_SCALE": "0",
        "CNN101_EVALUATION_BOOTSTRAP_INSTRUCTOR": "",
        "CNN101_SPA_DIR": str(folder / "no-spa"),
        "CNN101_ACTIVATIONS_TARGET": f"127.0.0.1:{_free_port()}",
    }
    processes = [
        _spawn([redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""], env),
        _spawn([sys.executable, "-m", "evaluation.app"], env),
    ]
    urls = []
    for _ in range(gateways):
        port = _free_port()
        urls.append(f"http://127.0.0.1:{port}")
        gateway_env = {**env, "CNN101_GATEWAY_PORT": str(port)}
        processes.append(_spawn([sys.executable, "-m", "services.gateway.app"], gateway_env))
    try:
        _wait(f"http://127.0.0.1:{evaluation_port}/health", "the study service")
        from evaluation.auth import create_instructor
        from services.database.engine import make_engine, make_session_factory

        engine = make_engine(database)
        email = "bench@school.example"
        with make_session_factory(engine)() as session:
            create_instructor(session, email, PASSWORD)
            session.commit()
        engine.dispose()
        for url in urls:
            _wait(f"{url}/health/live", "a gateway")
        yield urls, email
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


def state(index: int) -> dict[str, Any]:
    return {
        "model": "tiny_vgg",
        "version": 1,
        "image": {"kind": "example", "id": f"val_{index}"},
        "scope": "unit",
        "neuron": {"layer": "conv_2_1", "index": index % 10},
        "detail": {"kind": "pixel", "y": index % 13, "x": 4, "channel": None},
        "tab": "explorer",
    }


# --- followers ---------------------------------------------------------------------------


async def _follow(url: str, code: str, last_seq: int, arrivals: dict[int, float]) -> None:
    """One SSE stream until ``last_seq`` arrives: arrival time per sequence number."""
    order: list[int] = []
    async with (
        httpx.AsyncClient(timeout=None) as client,
        client.stream("GET", f"{url}/api/presentations/{code}/events") as response,
    ):
        response.raise_for_status()
        seq = None
        async for line in response.aiter_lines():
            if line.startswith("id: "):
                seq = int(line[4:])
            elif line.startswith("data: ") and seq is not None:
                arrivals[seq] = time.monotonic()
                json.loads(line[6:])
                order.append(seq)
                if seq >= last_seq:
                    break
    arrivals[-1] = float(order != sorted(order))  # out of order?


@dataclass(frozen=True)
class Share:
    """One client process's part: its streams and when to stop."""

    urls: list[str]
    code: str
    count: int
    last_seq: int


def _client_process(share: Share, results: Queue[Any], ready: Any) -> None:
    urls, code, count, last_seq = share.urls, share.code, share.count, share.last_seq

    async def main() -> tuple[list[dict[int, float]], list[str]]:
        arrivals: list[dict[int, float]] = [{} for _ in range(count)]
        tasks = [
            asyncio.create_task(_follow(urls[i % len(urls)], code, last_seq, arrivals[i]))
            for i in range(count)
        ]
        # Every stream has the first state (or failed: counted, not waited for).
        while not all(1 in a or task.done() for a, task in zip(arrivals, tasks, strict=True)):
            await asyncio.sleep(0.02)
        with ready.get_lock():
            ready.value += count
        done, pending = await asyncio.wait(tasks, timeout=120)
        for task in pending:
            task.cancel()
        errors = [repr(task.exception()) for task in done if task.exception() is not None]
        errors += ["still waiting after 120 s"] * len(pending)
        return arrivals, errors

    results.put(asyncio.run(main()))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(urls: list[str], email: str, password: str, args: argparse.Namespace) -> None:
    presenter = httpx.Client(base_url=urls[0], timeout=30)
    login = presenter.post("/api/instructor/login", json={"email": email, "password": password})
    login.raise_for_status()
    started = presenter.post("/api/presentations")
    started.raise_for_status()
    code = started.json()["code"]
    token = {"X-Presenter-Token": started.json()["presenter_token"]}
    assert (
        presenter.put(f"/api/presentations/{code}/state", json=state(0), headers=token).json()[
            "seq"
        ]
        == 1
    )
    last_seq = 1 + args.changes
    context = mp.get_context("spawn")
    results: Queue[Any] = context.Queue()
    ready = context.Value("i", 0)
    shares = [args.followers // args.client_processes] * args.client_processes
    shares[0] += args.followers - sum(shares)
    workers = [
        context.Process(
            target=_client_process,
            args=(Share(urls, code, share, last_seq), results, ready),
            daemon=True,
        )
        for share in shares
    ]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 120
    while ready.value < args.followers and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    following = presenter.get(f"/api/presentations/{code}").json()["followers"]
    sent: dict[int, float] = {}
    put_ms = []
    for index in range(1, args.changes + 1):
        sent[index + 1] = time.monotonic()
        presenter.put(f"/api/presentations/{code}/state", json=state(index), headers=token)
        put_ms.append((time.monotonic() - sent[index + 1]) * 1000)
        time.sleep(args.interval)
    arrivals: list[dict[int, float]] = []
    errors: list[str] = []
    for _ in workers:
        part, failed = results.get(timeout=300)
        arrivals += part
        errors += failed
    for worker in workers:
        worker.join(timeout=30)
    latencies = [
        (arrival[seq] - sent[seq]) * 1000 for arrival in arrivals for seq in sent if seq in arrival
    ]
    expected = len(sent) * args.followers
    disordered = sum(1 for arrival in arrivals if arrival.get(-1))
    print(
        f"presenter mode: {args.followers} followers on {len(urls)} gateway(s) "
        f"({following} counted by the hub), {args.changes} changes every {args.interval} s"
    )
    print(
        f"delivery latency ms: p50 {_percentile(latencies, 0.5):.1f}  "
        f"p95 {_percentile(latencies, 0.95):.1f}  p99 {_percentile(latencies, 0.99):.1f}  "
        f"max {max(latencies):.1f}  mean {statistics.fmean(latencies):.1f}"
    )
    print(f"presenter PUT ms: p50 {_percentile(put_ms, 0.5):.1f}  max {max(put_ms):.1f}")
    print(
        f"events: {len(latencies)} of {expected} delivered, {expected - len(latencies)} missed, "
        f"{disordered} streams out of order"
    )
    if errors:
        print(f"streams that failed: {len(errors)}, e.g. {errors[0]}")
    presenter.delete(f"/api/presentations/{code}", headers=token)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=30)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between changes")
    parser.add_argument("--gateways", type=int, default=1, help="gateway processes to start")
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--url", nargs="*", help="running gateway(s) instead of starting some")
    parser.add_argument("--email", help="an instructor's email (with --url)")
    parser.add_argument("--password", default=PASSWORD)
    args = parser.parse_args()
    if args.url:
        if not args.email:
            parser.error("--url needs --email and --password of an instructor")
        run(args.url, args.email, args.password, args)
        return
    with platform(args.gateways) as (urls, email):
        run(urls, email, PASSWORD, args)


if __name__ == "__main__":
    main()

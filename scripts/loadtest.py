"""A class on one machine: simulated students over the real HTTP flow, and how many it holds.

Starts the platform as processes (``services/runner.py``: a private Redis, the study on
SQLite or ``--database-url``, free ports) unless ``--url`` names a running one, creates an
instructor and, per stage, an open study. Then N students arrive over ``--ramp`` seconds
and each does what the SPA does, with think times between steps:

1. opens the join link (``study.html`` and its assets), joins, consents, takes the
   pre-test (13 items, one answer at a time, as the study page sends them);
2. is assigned a condition and, in the learning phase, opens the explorer (``index.html``
   and its assets, the model list and description, the examples, the thumbnails of a
   class), then until the learning time is over switches among examples (their cached
   activation bundles), opens views (the weights, once), changes class (thumbnails),
   uploads a picture of its own once (uncached: inference), and sends interaction events;
3. takes the post-test, answers the questionnaire and reads its outcome.

Every simulated student explores, as in a class without a study (the conventional
condition would send fewer requests). The latencies are kept per request type and printed
as p50/p95/p99 with the error count (any status >= 400, refused connection or timeout).

Stages grow from ``--start`` by ``--step`` students until one fails (p95 of cached
activations above ``--p95-limit-ms``, or any error), then bisect between the last pass and
the first failure down to ``--resolution``: the largest passing N is the class this
machine holds.

The client shares the machine with the server. It is one asyncio process (httpx); each
stage prints the CPU it used (client) next to the platform's processes (server) and the
rest of the machine (other), and the event loop's own lag, which is the part of a
measured latency that is the client's doing. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from services.runner import Supervisor, start_services, wait_ready

CACHED = "activations (cached example)"
INSTRUCTOR = ("loadtest@localhost", "loadtest-password-1")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _png(rng: random.Random) -> bytes:
    """A photo-sized picture (320x240) a student might upload: a new digest each time."""
    pixels = np.random.default_rng(rng.getrandbits(32)).integers(0, 256, (240, 320, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Stats:
    """Latencies per request type, and the errors."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    bytes_received: int = 0
    resent: int = 0

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        self.latencies[kind].append(seconds)
        if error is not None:
            self.errors[kind] += 1
            if len(self.error_samples) < 8:
                self.error_samples.append(f"{kind}: {error}")

    def percentile(self, kind: str, q: float) -> float:
        values = sorted(self.latencies.get(kind, []))
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    @property
    def total_errors(self) -> int:
        return sum(self.errors.values())


class Student:
    """One browser: its own connections, its think times, the SPA's requests in order."""

    def __init__(self, index: int, base: str, stats: Stats, args: argparse.Namespace) -> None:
        self.rng = random.Random(args.seed * 1_000_003 + index)
        self.base = base
        self.stats = stats
        self.args = args
        # Idle connections are dropped well before the server's 5 s keep-alive ends, so
        # few requests meet a connection the server is closing.
        limits = httpx.Limits(max_connections=6, keepalive_expiry=2.0)
        self.http = httpx.AsyncClient(base_url=base, timeout=args.timeout, limits=limits)
        self.token = ""
        # What the browser keeps (hashed assets, immutable bundles, max-age images).
        self.browser_cache: set[str] = set()

    async def request(
        self, kind: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            try:
                response = await self.http.request(method, path, **kwargs)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # A kept-alive connection the server closed as the request left: browsers
                # resend it unseen, so do we (once; counted, and timed from the first try).
                self.stats.resent += 1
                response = await self.http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            self.stats.record(kind, time.perf_counter() - started, type(error).__name__)
            return None
        problem = None if response.status_code < 400 else f"{response.status_code} {path}"
        self.stats.bytes_received += len(response.content)
        self.stats.record(kind, time.perf_counter() - started, problem)
        return None if problem else response

    async def cached_get(self, kind: str, path: str) -> None:
        """A GET the browser answers from its cache when it has fetched it before."""
        if path not in self.browser_cache:
            self.browser_cache.add(path)
            await self.request(kind, "GET", path)

    async def think(self, low: float, high: float) -> None:
        await asyncio.sleep(self.rng.uniform(low, high) * self.args.think_scale)

    async def page(self, name: str, assets: dict[str, list[str]]) -> None:
        """A page and its scripts and styles, fetched in parallel as a browser does."""
        await self.request("page", "GET", f"/{name}")
        await asyncio.gather(*(self.cached_get("asset", a) for a in assets[name]))

    async def study(self, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.request(
            kind, method, f"/api/student{path}", headers=headers, **kwargs
        )
        if response is None or response.status_code == 204:
            return None
        return response.json()

    async def quiz(self, phase: str) -> None:
        view = await self.study("study: phase start/finish", "POST", f"/phases/{phase}/start")
        if view is None:
            return
        for item in view["items"]:
            await self.think(2.0, 5.0)
            await self.study(
                "study: answer",
                "POST",
                "/answers",
                json={
                    "submission_id": uuid.uuid4().hex,
                    "phase": phase,
                    "item_id": item["id"],
                    "choice_index": self.rng.randrange(len(item["options"])),
                },
            )
        await self.study("study: phase start/finish", "POST", f"/phases/{phase}/finish")

    async def explore(self, site: Site, deadline: float) -> None:
        """The learning phase in the explorer, until the learning time is over."""
        await self.page("index.html", site.assets)
        await self.request("model list", "GET", "/api/models")
        await self.request("model description", "GET", f"/api/models/{site.model}")
        await self.request("examples list", "GET", f"/api/examples?model={site.model}")
        query = f"model={site.model}&version={site.version}"
        label = self.rng.choice(sorted(site.by_class))

        async def thumbnails() -> None:
            # The picker shows a class's thumbnails as tiles of one sprite image.
            await self.cached_get("class thumbnails (sprite)", site.sprites[label])

        await thumbnails()
        uploaded = weights = False
        events: list[dict[str, Any]] = []
        last_events = time.monotonic()
        while time.monotonic() < deadline:
            await self.think(2.0, 6.0)
            roll = self.rng.random()
            if roll < 0.15 and not weights:
                # Opening a neuron's intermediate view loads the weights once.
                weights = True
                await self.request("weights", "GET", site.weights_url)
            elif 0.15 <= roll < 0.30 and not uploaded:
                uploaded = True
                await self.request(
                    "activations (upload, uncached)",
                    "POST",
                    f"/api/activations?{query}",
                    files={"file": ("photo.png", _png(self.rng), "image/png")},
                )
            elif 0.30 <= roll < 0.40:  # another class: its thumbnails
                label = self.rng.choice(sorted(site.by_class))
                await thumbnails()
            else:
                example = self.rng.choice(site.by_class[label])
                await self.cached_get(CACHED, f"/api/examples/{example}/activations?{query}")
            events.append({"kind": "view", "client_time_ms": int(time.time() * 1000)})
            if time.monotonic() - last_events > 10 and events:
                await self.study("study: events", "POST", "/events", json={"events": events})
                events, last_events = [], time.monotonic()
        if events:
            await self.study("study: events", "POST", "/events", json={"events": events})

    async def run(self, site: Site, join_code: str) -> None:
        try:
            await self.page("study.html", site.assets)
            joined = await self.study("study: join", "POST", "/join", json={"code": join_code})
            if joined is None:
                return
            self.token = joined["token"]
            await self.think(2.0, 5.0)
            await self.study(
                "study: consent",
                "POST",
                "/consent",
                json={"choice": "participate", "prior_ml": self.rng.random() < 0.3},
            )
            await self.quiz("pre")
            await self.study("study: assignment", "POST", "/assignment")
            view = await self.study("study: phase start/finish", "POST", "/phases/learning/start")
            seconds_left = float(view["seconds_left"]) if view else 0.0
            await self.explore(site, time.monotonic() + seconds_left + 0.5)
            state = await self.study("study: state", "GET", "/state")
            if state and state["step"] == "learning":  # a moment early: the page waits too
                await asyncio.sleep(1.0)
            await self.quiz("post")
            await self.think(3.0, 8.0)
            await self.study(
                "study: questionnaire",
                "POST",
                "/questionnaire",
                json={
                    "umux_capabilities": self.rng.randint(1, 7),
                    "umux_ease": self.rng.randint(1, 7),
                    "mental_effort": self.rng.randint(1, 9),
                },
            )
            await self.study("study: outcome", "GET", "/outcome")
        finally:
            await self.http.aclose()


@dataclass
class Site:
    """What every student loads the same: assets, the model, the examples by class."""

    assets: dict[str, list[str]]
    model: str
    version: int
    weights_url: str
    by_class: dict[int, list[str]]
    sprites: dict[int, str]


def _discover(base: str) -> Site:
    assets: dict[str, list[str]] = {}
    with httpx.Client(base_url=base, timeout=60) as http:
        for page in ("index.html", "study.html"):
            html = http.get(f"/{page}").text
            assets[page] = sorted(set(re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)))
        examples = http.get("/api/examples").json()
        model = http.get(f"/api/models/{examples['model']}").json()
        by_class: dict[int, list[str]] = defaultdict(list)
        sprites: dict[int, str] = {}
        for example in examples["examples"]:
            by_class[int(example["label"])].append(example["id"])
            sprites[int(example["label"])] = example["sprite_url"]
        query = f"model={examples['model']}&version={examples['version']}"
        for example in examples["examples"]:  # warm the cache: these are the cached requests
            http.get(f"/api/examples/{example['id']}/activations?{query}").raise_for_status()
    return Site(
        assets, examples["model"], int(examples["version"]), model["weights_url"], by_class, sprites
    )


def _open_study(base: str, args: argparse.Namespace, students: int) -> str:
    """Log in as the instructor, create and open a study; its join code."""
    with httpx.Client(base_url=base, timeout=60) as http:
        login = http.post(
            "/api/instructor/login", json={"email": INSTRUCTOR[0], "password": INSTRUCTOR[1]}
        )
        login.raise_for_status()
        study = http.post(
            "/api/instructor/studies",
            json={
                "title": f"Load test, {students} students",
                "consent_text": "A simulated class.",
                "learning_seconds": args.learning_seconds,
                "pre_test_seconds": 900,
                "post_test_seconds": 900,
            },
        )
        study.raise_for_status()
        created = study.json()
        http.post(f"/api/instructor/studies/{created['id']}/open").raise_for_status()
        return str(created["join_code"])


def _cpu_seconds(pids: set[int]) -> float:
    """User + system CPU of these processes and all their descendants, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    total = 0.0
    for pid, cpu in times.items():
        ancestor = pid
        while ancestor > 1:
            if ancestor in pids:
                total += cpu
                break
            ancestor = parents.get(ancestor, 0)
    return total


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def _loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    """How late the event loop wakes a 50 ms timer: the client's own share of a latency."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.05)
        samples.append(time.perf_counter() - started - 0.05)


async def _stage(
    base: str, site: Site, join_code: str, n: int, *, part: int, args: argparse.Namespace
) -> tuple[Stats, list[float]]:
    """Students ``part``, ``part + P``, ... of ``n``, each arriving at its place in the ramp."""
    stats = Stats()
    indices = range(part, n, args.client_processes)
    students = [Student(i, base, stats, args) for i in indices]
    lag: list[float] = []
    stop = asyncio.Event()
    lag_task = asyncio.create_task(_loop_lag(lag, stop))

    async def arrive(student: Student, delay: float) -> None:
        await asyncio.sleep(delay)
        await student.run(site, join_code)

    await asyncio.gather(
        *(arrive(s, args.ramp * i / max(1, n)) for i, s in zip(indices, students, strict=True))
    )
    stop.set()
    await lag_task
    return stats, lag


def _client_part(
    base: str, site: Site, join_code: str, n: int, *, part: int, args: argparse.Namespace
) -> tuple[Stats, list[float], float]:
    """One client process's share of the class, with the CPU time it used."""
    cpu0 = time.process_time()
    stats, lag = asyncio.run(_stage(base, site, join_code, n, part=part, args=args))
    return stats, lag, time.process_time() - cpu0


def _merge(parts: list[Stats]) -> Stats:
    merged = Stats()
    for stats in parts:
        for kind, values in stats.latencies.items():
            merged.latencies[kind].extend(values)
        for kind, count in stats.errors.items():
            merged.errors[kind] += count
        merged.error_samples.extend(stats.error_samples[: 8 - len(merged.error_samples)])
        merged.bytes_received += stats.bytes_received
        merged.resent += stats.resent
    return merged


def run_stage(
    base: str, site: Site, n: int, args: argparse.Namespace, server_pids: set[int]
) -> tuple[Stats, dict[str, float]]:
    """One class of ``n``: the students are shared among ``--client-processes`` processes,
    so that one client event loop's lag is not counted as the server's latency."""
    join_code = _open_study(base, args, n)
    wall0 = time.perf_counter()
    server0, machine0 = _cpu_seconds(server_pids), _machine_busy_seconds()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(args.client_processes, mp_context=context) as pool:
        futures = [
            pool.submit(_client_part, base, site, join_code, n, part=part, args=args)
            for part in range(args.client_processes)
        ]
        results = [future.result() for future in futures]
    wall = time.perf_counter() - wall0
    stats = _merge([stats for stats, _, _ in results])
    lag = sorted(value for _, part_lag, _ in results for value in part_lag) or [0.0]
    client = sum(cpu for _, _, cpu in results) / wall
    server = (_cpu_seconds(server_pids) - server0) / wall if server_pids else float("nan")
    machine = (_machine_busy_seconds() - machine0) / wall
    usage = {
        "seconds": wall,
        "client_cores": client,
        "server_cores": server,
        "other_cores": max(0.0, machine - client - (server if server_pids else 0.0)),
        "loop_lag_p95_ms": lag[int(0.95 * (len(lag) - 1))] * 1000,
        "requests": float(sum(len(v) for v in stats.latencies.values())),
        "megabits_per_second": stats.bytes_received * 8 / wall / 1e6,
    }
    return stats, usage


def report(n: int, stats: Stats, usage: dict[str, float], limit_ms: float) -> bool:
    passed = stats.total_errors == 0 and stats.percentile(CACHED, 0.95) <= limit_ms
    print(
        f"\n== {n} students: {'PASS' if passed else 'FAIL'} "
        f"({usage['requests']:.0f} requests in {usage['seconds']:.0f} s, "
        f"{usage['requests'] / usage['seconds']:.0f}/s, "
        f"{usage['megabits_per_second']:.1f} Mbit/s to the browsers; CPU cores used: server "
        f"{usage['server_cores']:.2f}, client {usage['client_cores']:.2f}, other "
        f"{usage['other_cores']:.2f}; client loop lag p95 {usage['loop_lag_p95_ms']:.1f} ms; "
        f"{stats.resent} requests resent on a closed keep-alive connection)"
    )
    print(f"{'request':<34} {'count':>7} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in sorted(stats.latencies):
        print(
            f"{kind:<34} {len(stats.latencies[kind]):>7} {stats.errors.get(kind, 0):>6} "
            f"{stats.percentile(kind, 0.50):>8.1f} {stats.percentile(kind, 0.95):>8.1f} "
            f"{stats.percentile(kind, 0.99):>8.1f}"
        )
    for sample in stats.error_samples:
        print(f"  error: {sample}")
    sys.stdout.flush()
    return passed


def _start_platform(args: argparse.Namespace, log_dir: Path, supervisor: Supervisor) -> str:
    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        raise SystemExit("redis-server is needed (apt-get install redis-server)")
    redis_port, gateway_port = _free_port(), _free_port()
    database = args.database_url or f"sqlite:///{log_dir / 'study.db'}"
    os.environ.update(
        {
            "CNN101_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CNN101_INFERENCE_PORT": str(_free_port()),
            "CNN101_ACTIVATIONS_PORT": str(_free_port()),
            "CNN101_GATEWAY_PORT": str(gateway_port),
            "CNN101_EVALUATION_PORT": str(_free_port()),
            "CNN101_EVALUATION_DATABASE_URL": database,
            "CNN101_EVALUATION_BOOTSTRAP_INSTRUCTOR": "",
            "CNN101_GATEWAY_WORKERS": str(args.gateway_workers),
            "CNN101_CACHE_PREFIX": "loadtest",
        }
    )
    # The instructor account the stages log in with (the study's own command line).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "evaluation.cli",
            "create-instructor",
            "--email",
            INSTRUCTOR[0],
            "--password-stdin",
        ],
        input=INSTRUCTOR[1] + "\n",
        text=True,
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    supervisor.start(
        "redis",
        [
            redis_binary,
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(log_dir),
        ],
        dict(os.environ),
    )
    time.sleep(0.5)
    start_services(supervisor, log_dir)
    url = f"http://127.0.0.1:{gateway_port}"
    wait_ready(supervisor, f"{url}/health/ready")
    return url


def stage(base: str, site: Site, n: int, args: argparse.Namespace, server_pids: set[int]) -> bool:
    stats, usage = run_stage(base, site, n, args, server_pids)
    passed = report(n, stats, usage, args.p95_limit_ms)
    time.sleep(3)  # let the platform settle between classes
    return passed


def search(run: Callable[[int], bool], args: argparse.Namespace) -> dict[int, bool]:
    """The given N only, or grow by ``--step`` until a failure, then bisect."""
    results: dict[int, bool] = {}
    if args.students:
        for n in args.students:
            results[n] = run(n)
        return results
    n, passed_n, failed_n = args.start, 0, None
    while n <= args.max:
        results[n] = run(n)
        if not results[n]:
            failed_n = n
            break
        passed_n, n = n, n + args.step
    while failed_n is not None and failed_n - passed_n > args.resolution:
        middle = (passed_n + failed_n) // 2
        results[middle] = run(middle)
        if results[middle]:
            passed_n = middle
        else:
            failed_n = middle
    print(
        f"\nlargest class held (p95 of cached activations <= {args.p95_limit_ms:g} ms, "
        f"no errors): {passed_n} students" + ("" if failed_n is None else f"; {failed_n} failed")
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running platform (default: start one as processes)")
    parser.add_argument("--database-url", help="the study database (default: SQLite)")
    parser.add_argument("--gateway-workers", type=int, default=1, help="as cnn101 run")
    parser.add_argument("--students", type=int, nargs="*", help="run these N only, no search")
    parser.add_argument("--start", type=int, default=100)
    parser.add_argument("--step", type=int, default=100)
    parser.add_argument("--max", type=int, default=1000)
    parser.add_argument("--resolution", type=int, default=25)
    parser.add_argument("--ramp", type=float, default=30.0, help="seconds over which they join")
    parser.add_argument("--learning-seconds", type=int, default=60)
    parser.add_argument("--think-scale", type=float, default=1.0, help="multiplies think times")
    parser.add_argument("--p95-limit-ms", type=float, default=100.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="processes the simulated students are shared among (one per core)",
    )
    args = parser.parse_args()

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    log_dir = Path(tempfile.mkdtemp(prefix="cnn101-loadtest-"))
    supervisor = Supervisor(log_dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        base = args.url or _start_platform(args, log_dir, supervisor)
        server_pids = {process.pid for process in supervisor.processes.values()}
        site = _discover(base)
        print(
            f"platform at {base} (logs in {log_dir}); gateway workers {args.gateway_workers}; "
            f"study database {'SQLite' if not args.database_url else 'PostgreSQL'}; "
            f"{len(site.by_class)} classes; load average before: "
            f"{Path('/proc/loadavg').read_text().split()[:3]}"
        )
        results = search(lambda n: stage(base, site, n, args, server_pids), args)
        print(json.dumps({str(k): v for k, v in sorted(results.items())}))
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())

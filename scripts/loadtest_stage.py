"""One class size: open a study, send the students in from several client processes, measure.

The client shares the machine with the server, so each stage also counts the CPU the client,
the platform and the rest of the machine used, and the client event loop's own lag: the
part of a measured latency that is the client's doing.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
from loadtest_student import CACHED, Site, Stats, Student

INSTRUCTOR = ("loadtest@localhost", "loadtest-password-1")
TIMELINE_WINDOW_SECONDS = 15.0
# The study requests whose p95 issue 17 bounds (150 ms).
STUDY_BOUNDED = ("study: answer", "study: phase start/finish", "study: assignment")


def discover_site(base: str, render_timeout: float = 300.0) -> Site:
    """What every student will load, once the worker has rendered the examples' static
    bundles (the files the SPA fetches), each fetched once (warm, as in class)."""
    assets: dict[str, list[str]] = {}
    with httpx.Client(base_url=base, timeout=60) as http:
        for page in ("index.html", "study.html"):
            html = http.get(f"/{page}").text
            assets[page] = sorted(set(re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)))
        deadline = time.monotonic() + render_timeout
        while True:
            examples = http.get("/api/examples").json()
            rendered = all(e["bundle_url"].startswith("/static/") for e in examples["examples"])
            if rendered or time.monotonic() > deadline:
                break
            time.sleep(2)
        if not rendered:
            print("the worker has not rendered the static bundles: students use the dynamic route")
        model = http.get(f"/api/models/{examples['model']}").json()
        by_class: dict[int, list[str]] = defaultdict(list)
        sprites: dict[int, str] = {}
        bundles: dict[str, str] = {}
        for example in examples["examples"]:
            by_class[int(example["label"])].append(example["id"])
            sprites[int(example["label"])] = example["sprite_url"]
            bundles[example["id"]] = example["bundle_url"]
        for url in bundles.values():  # warm the caches: these are the cached requests
            http.get(url).raise_for_status()
    return Site(
        assets,
        examples["model"],
        int(examples["version"]),
        model["weights_url"],
        by_class,
        sprites,
        bundles,
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


def _cpu_by_root(roots: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds of each named process and all its descendants (one pass
    over /proc)."""
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
    name_of = {pid: name for name, pid in roots.items()}
    totals = dict.fromkeys(roots, 0.0)
    for pid, cpu in times.items():
        ancestor = pid
        while ancestor > 1:
            if ancestor in name_of:
                totals[name_of[ancestor]] += cpu
                break
            ancestor = parents.get(ancestor, 0)
    return totals


def _cpu_seconds(pids: set[int]) -> float:
    """User + system CPU of these processes and all their descendants, in seconds."""
    return sum(_cpu_by_root({str(pid): pid for pid in pids}).values())


class CpuTimeline:
    """Every ``window`` seconds, the cores each server process used and the rest of the
    machine (the client, the database, anything else): who was busy when a p95 grew."""

    def __init__(self, server_pids: dict[str, int], window: float) -> None:
        self.server_pids = server_pids
        self.window = window
        self.rows: list[dict[str, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> CpuTimeline:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        before, machine_before = _cpu_by_root(self.server_pids), _machine_busy_seconds()
        while not self._stop.wait(self.window):
            after, machine_after = _cpu_by_root(self.server_pids), _machine_busy_seconds()
            row = {name: (after[name] - before[name]) / self.window for name in after}
            row["rest of machine"] = max(
                0.0, (machine_after - machine_before) / self.window - sum(row.values())
            )
            self.rows.append(row)
            before, machine_before = after, machine_after


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
        merged.timeline.extend(stats.timeline)
    return merged


def run_stage(
    base: str, site: Site, n: int, args: argparse.Namespace, server_pids: dict[str, int]
) -> tuple[Stats, dict[str, float], list[dict[str, float]]]:
    """One class of ``n``: the students are shared among ``--client-processes`` processes,
    so that one client event loop's lag is not counted as the server's latency."""
    join_code = _open_study(base, args, n)
    wall0, started_at = time.perf_counter(), time.time()
    by_service0, machine0 = _cpu_by_root(server_pids), _machine_busy_seconds()
    context = multiprocessing.get_context("fork")
    with (
        CpuTimeline(server_pids, TIMELINE_WINDOW_SECONDS) as cpu_timeline,
        ProcessPoolExecutor(args.client_processes, mp_context=context) as pool,
    ):
        futures = [
            pool.submit(_client_part, base, site, join_code, n, part=part, args=args)
            for part in range(args.client_processes)
        ]
        results = [future.result() for future in futures]
    wall = time.perf_counter() - wall0
    stats = _merge([stats for stats, _, _ in results])
    lag = sorted(value for _, part_lag, _ in results for value in part_lag) or [0.0]
    client = sum(cpu for _, _, cpu in results) / wall
    by_service1 = _cpu_by_root(server_pids)
    # Each process's CPU counts once, under its nearest named ancestor: the services add up.
    by_service = {
        f"cores: {name}": (by_service1[name] - by_service0[name]) / wall for name in server_pids
    }
    server = sum(by_service.values()) if server_pids else float("nan")
    machine = (_machine_busy_seconds() - machine0) / wall
    usage = {
        "seconds": wall,
        "started_at": started_at,
        "client_cores": client,
        "server_cores": server,
        "other_cores": max(0.0, machine - client - (server if server_pids else 0.0)),
        "loop_lag_p95_ms": lag[int(0.95 * (len(lag) - 1))] * 1000,
        "requests": float(sum(len(v) for v in stats.latencies.values())),
        "megabits_per_second": stats.bytes_received * 8 / wall / 1e6,
        **by_service,
    }
    return stats, usage, cpu_timeline.rows


def study_p95_ms(stats: Stats) -> float:
    """p95 of the study requests issue 17 bounds (answers, phase start/finish, assignment),
    taken together."""
    return _p95_ms([v for kind in STUDY_BOUNDED for v in stats.latencies.get(kind, [])])


def _p95_ms(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000 if ordered else 0.0


def timeline(
    stats: Stats, started_at: float, cpu_rows: list[dict[str, float]], window: float
) -> list[str]:
    """The stage in windows of ``window`` seconds (requests by when they were sent):
    requests per second, the study's bounded requests and the cached examples with their
    p95, uploads, and the cores the busiest processes used in that window, so that the
    moment of the lesson that makes a p95 shows, and who was busy then."""
    windows: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for sent, kind, seconds in stats.timeline:
        windows[int((sent - started_at) // window)].append((kind, seconds))
    lines = [
        f"{'from s':>6} {'req/s':>7} {'study n':>8} {'study p95':>10} {'cached n':>9} "
        f"{'cached p95':>11} {'uploads':>8}  cores (busiest)"
    ]
    for index in sorted(windows):
        rows = windows[index]
        study = [seconds for kind, seconds in rows if kind in STUDY_BOUNDED]
        cached = [seconds for kind, seconds in rows if kind == CACHED]
        uploads = sum(1 for kind, _ in rows if kind.startswith("activations (upload"))
        cores = cpu_rows[index] if index < len(cpu_rows) else {}
        busiest = sorted(cores.items(), key=lambda pair: -pair[1])[:4]
        lines.append(
            f"{index * window:>6.0f} {len(rows) / window:>7.1f} {len(study):>8} "
            f"{_p95_ms(study):>10.1f} {len(cached):>9} {_p95_ms(cached):>11.1f} {uploads:>8}  "
            + ", ".join(f"{name} {value:.2f}" for name, value in busiest)
            + (f" (all {sum(cores.values()):.2f})" if cores else "")
        )
    return lines


def report(
    n: int,
    stats: Stats,
    usage: dict[str, float],
    cpu_rows: list[dict[str, float]],
    *,
    limit_ms: float,
    study_limit_ms: float,
) -> bool:
    """Print one stage's figures; whether it passed (no errors, cached p95 and the study's
    p95 within their limits)."""
    cached_ok = stats.percentile(CACHED, 0.95) <= limit_ms
    study_ok = study_p95_ms(stats) <= study_limit_ms
    passed = stats.total_errors == 0 and cached_ok and study_ok
    print(
        f"\n== {n} students: {'PASS' if passed else 'FAIL'} "
        f"({usage['requests']:.0f} requests in {usage['seconds']:.0f} s, "
        f"{usage['requests'] / usage['seconds']:.0f}/s, "
        f"{usage['megabits_per_second']:.1f} Mbit/s to the browsers; CPU cores used: server "
        f"{usage['server_cores']:.2f}, client {usage['client_cores']:.2f}, other "
        f"{usage['other_cores']:.2f}; client loop lag p95 {usage['loop_lag_p95_ms']:.1f} ms; "
        f"{stats.resent} requests resent on a closed keep-alive connection)"
    )
    services = sorted(
        (
            (key.removeprefix("cores: "), value)
            for key, value in usage.items()
            if key.startswith("cores: ")
        ),
        key=lambda pair: -pair[1],
    )
    print(
        f"cached example p95 {stats.percentile(CACHED, 0.95):.1f} ms (limit {limit_ms:g}); "
        f"study answers, phases and assignment p95 {study_p95_ms(stats):.1f} ms "
        f"(limit {study_limit_ms:g}); errors {stats.total_errors}"
    )
    if services:
        print("server cores by service: " + ", ".join(f"{k} {v:.2f}" for k, v in services))
    if usage["server_cores"] > 0:
        print(f"students per server core: {n / usage['server_cores']:.0f}")
    print(f"{'request':<34} {'count':>7} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in sorted(stats.latencies):
        print(
            f"{kind:<34} {len(stats.latencies[kind]):>7} {stats.errors.get(kind, 0):>6} "
            f"{stats.percentile(kind, 0.50):>8.1f} {stats.percentile(kind, 0.95):>8.1f} "
            f"{stats.percentile(kind, 0.99):>8.1f}"
        )
    for sample in stats.error_samples:
        print(f"  error: {sample}")
    print("timeline (by when the request was sent):")
    print("\n".join(timeline(stats, usage["started_at"], cpu_rows, TIMELINE_WINDOW_SECONDS)))
    sys.stdout.flush()
    return passed

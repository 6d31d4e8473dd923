"""A login flood against a running platform: what a student and the real instructor see.

``--clients`` threads post logins with random e-mails for ``--seconds`` from one address
(127.0.0.1) while one student asks for the example list every 100 ms from another
(127.0.0.3), and the real instructor signs in from a third (127.0.0.2) in the middle of it.
Prints the student's latency (median, p95, max), the flood's answers by status, and
whether the instructor got in. Start the platform first (``make run``), and give the real
instructor's account:

    .venv/bin/python scripts/bench_login_flood.py --url http://127.0.0.1:8000 \\
        --email instructor@localhost --password "$(sed -n 2p .data/development-instructor-login)"
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import threading
import time
from collections import Counter

import httpx


def _client(url: str, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, transport=transport, timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    stop = time.monotonic() + args.seconds
    flood: Counter[int] = Counter()
    lock = threading.Lock()

    def attacker() -> None:
        with _client(args.url, "127.0.0.1") as client:
            while time.monotonic() < stop:
                email = f"{secrets.token_hex(6)}@example.org"
                status = client.post(
                    "/api/instructor/login", json={"email": email, "password": "guess-guess"}
                ).status_code
                with lock:
                    flood[status] += 1

    latencies: list[float] = []

    def student() -> None:
        with _client(args.url, "127.0.0.3") as client:
            while time.monotonic() < stop:
                started = time.perf_counter()
                client.get("/api/examples").raise_for_status()
                latencies.append(time.perf_counter() - started)
                time.sleep(0.1)

    threads = [threading.Thread(target=attacker) for _ in range(args.clients)]
    threads.append(threading.Thread(target=student))
    for thread in threads:
        thread.start()
    time.sleep(args.seconds / 2)
    with _client(args.url, "127.0.0.2") as teacher:
        started = time.perf_counter()
        login = teacher.post(
            "/api/instructor/login", json={"email": args.email, "password": args.password}
        )
        login_seconds = time.perf_counter() - started
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(
        f"student: {len(ordered)} requests, median {statistics.median(ordered) * 1000:.0f} ms, "
        f"p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )
    print(f"flood: {sum(flood.values())} logins, by status {dict(sorted(flood.items()))}")
    print(f"real instructor from another address: {login.status_code} in {login_seconds:.2f} s")


if __name__ == "__main__":
    main()

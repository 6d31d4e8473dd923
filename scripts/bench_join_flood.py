"""A join flood against a running platform: fake participants from one address.

The measured attack: 300 joins from one client in 3.1 s, each a participant in the study's
data. ``--joins`` requests go to ``POST /api/student/join`` from 127.0.0.1 with
``--clients`` threads; then one student of another class joins from 127.0.0.2. Prints how
many joined, how many were refused (429) and how long it took. Start the platform first
(``make run``), open a study in the dashboard, and give its join code:

    .venv/bin/python scripts/bench_join_flood.py --url http://127.0.0.1:8000 --code ABC-DEF
"""

from __future__ import annotations

import argparse
import os
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
    parser.add_argument("--code", required=True, help="an open study's join code")
    parser.add_argument("--joins", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    answers: Counter[int] = Counter()
    lock = threading.Lock()
    remaining = iter(range(args.joins))

    def flood() -> None:
        with _client(args.url, "127.0.0.1") as client:
            while True:
                with lock:
                    if next(remaining, None) is None:
                        return
                status = client.post("/api/student/join", json={"code": args.code}).status_code
                with lock:
                    answers[status] += 1

    threads = [threading.Thread(target=flood) for _ in range(args.clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    with _client(args.url, "127.0.0.2") as other_class:
        other = other_class.post("/api/student/join", json={"code": args.code}).status_code
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(
        f"flood: {args.joins} joins from one address in {seconds:.2f} s: "
        f"joined {answers[201]}, refused {answers[429]}, by status {dict(sorted(answers.items()))}"
    )
    print(f"a student from another address: {other}")


if __name__ == "__main__":
    main()

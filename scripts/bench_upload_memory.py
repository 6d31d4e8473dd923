"""The gateway's memory under decompression bombs, and what a class sees meanwhile.

Starts ``cnn101 run`` (scripts/running_platform.py), so the gateway is a real process
with its default limits. For each hostile file (the issue's 1.5 KB lossless WebP of
16383x2400, blank RGBA PNG of 6000x6000 and RLE BMP of 6000x6000; a 34-byte blank WebP
of 4096x4096 and a 1 KB progressive CMYK JPEG claiming 4096x4096, both within the pixel
limit) and for the heaviest pictures still decoded, once and six at once, it samples the
gateway's resident memory every 10 ms while 8 clients keep asking for cached example
bundles. Prints each peak RSS growth and the answers, the cached requests' p50/p95/max,
the gateway's RSS after, and ``uptime``:

    .venv/bin/python scripts/bench_upload_memory.py

``--pools`` instead compares the two ways to decode off the event loop (the reason for
services/gateway/decode_pool.py's choice): six of the heaviest allowed pictures through
two threads with ``malloc_trim``, then through two spawned processes, each run in a fresh
interpreter; it prints the peak and remaining RSS of that interpreter and its children.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from services.gateway.decode_pool import decode_then_trim

# The builders of the hostile files (tests/gateway/pictures.py) and the platform
# are imported where needed: a spawned decoding process re-imports this module, and its
# resident memory should be what decoding needs.

MB = 2**20
LIMITS = {"max_bytes": 10 * MB, "max_pixels": 4096 * 4096}


def hostile() -> dict[str, bytes]:
    from tests.gateway.pictures import (
        blank_webp,
        lossless_webp,
        palette_bmp,
        progressive_jpeg_claiming,
        rgba_png,
    )

    return {
        "lossless WebP 16383x2400": lossless_webp(16383, 2400),
        "RGBA PNG 6000x6000": rgba_png(6000, 6000),
        "RLE BMP 6000x6000": palette_bmp(6000, 6000),
        "blank lossless WebP 4096x4096": blank_webp(4096, 4096),
        "progressive JPEG 4096x4096": progressive_jpeg_claiming(4096, 4096),
    }


def heaviest_allowed() -> dict[str, bytes]:
    """Pictures whose promised decode memory is just under the 96 MB limit."""
    from tests.gateway.pictures import encoded, gradient, rgba_png

    return {
        "RGBA PNG 4096x4096 (allowed)": rgba_png(4096, 4096),
        "lossless WebP 2000x2000 (allowed)": encoded(
            gradient(2000, 2000, "RGBA"), "WEBP", lossless=True, quality=0, method=0
        ),
    }


def _rss(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _tree_rss(pid: int) -> int:
    """RSS of ``pid`` and its children (a process pool's workers)."""
    total = _rss(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        total += sum(_tree_rss(int(child)) for child in children)
    return total


class Sampler(threading.Thread):
    """The highest RSS of ``pid`` (and its children) seen every 10 ms until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, _tree_rss(pid), threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            time.sleep(0.01)


class CachedLoad(threading.Thread):
    """8 clients asking for example bundles already in the cache."""

    def __init__(self, base: str, urls: list[str]) -> None:
        super().__init__(daemon=True)
        self.base, self.urls = base, urls
        self.latencies: list[float] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        threads = [threading.Thread(target=self._client, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _client(self, index: int) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            step = index
            while not self.stopped.is_set():
                began = time.perf_counter()
                client.get(self.urls[step % len(self.urls)])
                self.latencies.append(time.perf_counter() - began)
                step += 1


def _send(base: str, data: bytes, copies: int) -> list[int]:
    statuses: list[int] = []

    def one() -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            answer = client.post("/api/activations", files={"file": ("x.bin", data)})
            statuses.append(answer.status_code)

    threads = [threading.Thread(target=one) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def gateway_under_bombs() -> None:
    from running_platform import running_platform

    files = hostile() | heaviest_allowed()
    with running_platform() as platform:
        pid = int(platform.processes()["gateway"]["pid"])
        listing = httpx.get(f"{platform.base}/api/examples", timeout=60).json()
        urls = [f"/api/examples/{e['id']}/activations" for e in listing["examples"][:40]]
        for url in urls:
            httpx.get(f"{platform.base}{url}", timeout=60)
        start = _rss(pid)
        print(f"before: {_uptime()}")
        print(f"gateway RSS at the start {start / MB:.0f} MB")
        print(f"{'upload':<36} {'copies':>6} {'answers':<10} {'peak RSS +MB':>12}")
        load = CachedLoad(platform.base, urls)
        load.start()
        worst = 0.0
        for name, data in files.items():
            for copies in (1, 6):
                before = _rss(pid)
                sampler = Sampler(pid)
                sampler.start()
                statuses = _send(platform.base, data, copies)
                sampler.stopped.set()
                sampler.join()
                growth = (sampler.peak - before) / MB
                worst = max(worst, (sampler.peak - start) / MB)
                shown = ",".join(str(s) for s in sorted(set(statuses)))
                print(f"{name:<36} {copies:>6} {shown:<10} {growth:>12.1f}", flush=True)
        load.stopped.set()
        load.join()
        ordered = sorted(load.latencies)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(
            f"cached bundles meanwhile: {len(ordered)} requests, p50 "
            f"{statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.1f} ms"
        )
        print(f"gateway peak RSS over its start: +{worst:.0f} MB")
        print(f"gateway RSS after: {_rss(pid) / MB:.0f} MB (+{(_rss(pid) - start) / MB:.0f})")
        print(f"after: {_uptime()}")


def _pool_run(kind: str) -> None:
    """In a fresh interpreter: six heavy pictures through a pool of two ``kind``."""
    pictures = list(heaviest_allowed().values()) * 3
    pool: Executor
    if kind == "threads":
        pool = ThreadPoolExecutor(2)
    else:
        pool = ProcessPoolExecutor(2, mp_context=get_context("spawn"))
    for _ in pool.map(time.sleep, [0.5, 0.5]):  # both workers started: their start-up is
        pass  # not part of the decode; nor are the codecs' first use
    for _ in pool.map(decode_then_trim, pictures[:2], [LIMITS] * 2):
        pass
    time.sleep(1)
    base = _tree_rss(os.getpid())
    sampler = Sampler(os.getpid())
    sampler.start()
    began = time.perf_counter()
    digests = [image.digest for image in pool.map(decode_then_trim, pictures, [LIMITS] * 6)]
    took = time.perf_counter() - began
    time.sleep(1)
    sampler.stopped.set()
    sampler.join()
    after = _tree_rss(os.getpid())
    peak = (sampler.peak - base) / MB
    print(
        f"{kind:<9} {len(digests)} decoded in {took:.2f} s; RSS peak +{peak:.0f} MB, after "
        f"+{(after - base) / MB:.0f} MB (at the start {base / MB:.0f} MB with the workers)"
    )
    pool.shutdown()


def compare_pools() -> None:
    for kind in ("threads", "processes"):
        subprocess.run([sys.executable, __file__, "--pool-run", kind], check=True)
    print(_uptime())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pools", action="store_true", help="compare threads and processes")
    parser.add_argument("--pool-run", choices=("threads", "processes"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.pool_run:
        _pool_run(options.pool_run)
    elif options.pools:
        compare_pools()
    else:
        gateway_under_bombs()
    return 0


if __name__ == "__main__":
    sys.exit(main())

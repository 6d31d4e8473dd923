"""The gateway's memory under decompression bombs, and what a class sees meanwhile.

Starts ``cnn101 run`` (scripts/running_platform.py), then for each hostile file of the
issue (a 1.5 KB lossless WebP of 16383x2400, a blank RGBA PNG of 6000x6000, an RLE BMP of
6000x6000), and the largest RGBA PNG still decoded (3600x3600), once and six at once,
samples the gateway process's resident memory every 10 ms while 8 clients keep asking for
cached example bundles. Prints the peak RSS
growth, the answers, and the cached requests' p50/p95/max:

    .venv/bin/python scripts/bench_upload_memory.py
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
from running_platform import running_platform

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.gateway.test_upload_memory import lossless_webp, palette_bmp, rgba_png

BOMBS = {
    "lossless WebP 16383x2400": lossless_webp(16383, 2400),
    "RGBA PNG 6000x6000": rgba_png(6000, 6000),
    "RLE BMP 6000x6000": palette_bmp(6000, 6000),
    # The largest an RGBA PNG may be (7 bytes a pixel decoded: 91 of 96 MB): decoded.
    "RGBA PNG 3600x3600 (allowed)": rgba_png(3600, 3600),
}


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Sampler(threading.Thread):
    """The highest RSS of ``pid`` seen every 10 ms until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, _rss(pid), threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, _rss(self.pid))
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


def main() -> int:
    with running_platform() as platform:
        pid = int(platform.processes()["gateway"]["pid"])
        listing = httpx.get(f"{platform.base}/api/examples", timeout=60).json()
        urls = [f"/api/examples/{e['id']}/activations" for e in listing["examples"][:40]]
        for url in urls:
            httpx.get(f"{platform.base}{url}", timeout=60)
        print(f"load before: {os.getloadavg()[0]:.2f}; gateway RSS {_rss(pid) / 2**20:.0f} MB")
        print(f"{'upload':<28} {'copies':>6} {'answers':<18} {'peak RSS +MB':>12}")
        load = CachedLoad(platform.base, urls)
        load.start()
        for name, data in BOMBS.items():
            for copies in (1, 6):
                before = _rss(pid)
                sampler = Sampler(pid)
                sampler.start()
                statuses = _send(platform.base, data, copies)
                sampler.stopped.set()
                sampler.join()
                growth = (sampler.peak - before) / 2**20
                shown = ",".join(str(s) for s in sorted(set(statuses)))
                print(f"{name:<28} {copies:>6} {shown:<18} {growth:>12.1f}", flush=True)
        load.stopped.set()
        load.join()
        ordered = sorted(load.latencies)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(
            f"cached bundles meanwhile: {len(ordered)} requests, p50 "
            f"{statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.1f} ms"
        )
        print(f"gateway RSS after: {_rss(pid) / 2**20:.0f} MB; load after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The gateway's CPU per request, for each kind of request a class's explorer sends at once.

At the learning phase's start every student's browser loads the explorer page, its scripts
and styles, the model list and the example list, then example bundles and sprites. This
loads each of those URLs in turn with ``wrk`` (8 connections, ``--seconds`` each, the
``Accept-Encoding`` a browser sends) against a running platform (``make run``: ``--url``
http://127.0.0.1:8000 by default) and reads the CPU the gateway's processes (the one named
``services.gateway.app`` and its worker children) used from /proc, so it prints requests/s
and gateway CPU milliseconds per request. ``/health/live`` is the floor: a route that does
nothing. Figures, not assertions; the gateway's CPU includes its share of ``wrk``'s
connections, the same for every row.

    .venv/bin/python scripts/bench_gateway_cpu.py --url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadtest_stage import _cpu_seconds

WRK_SCRIPT = 'wrk.headers["Accept-Encoding"] = "gzip, deflate, br"\n'


def gateway_pids() -> set[int]:
    """The gateway's master processes (their worker children are counted with them)."""
    masters = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"services.gateway.app" in cmdline:
                masters.add(int(entry.name))
    return masters


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


def paths(base: str) -> dict[str, str]:
    """One URL of each kind, found as the browser finds them."""
    page = get(f"{base}/index.html").decode()
    script = re.search(r'src="(/assets/[^"]+\.js)"', page)
    listing = json.loads(get(f"{base}/api/examples"))
    example = listing["examples"][0]
    found = {
        "page (index.html)": "/index.html",
        "example list": f"/api/examples?model={listing['model']}",
        "model list": "/api/models",
        "example bundle": example["bundle_url"],
        "class sprite": example["sprite_url"],
        "floor (/health/live)": "/health/live",
    }
    if script:
        found["script (hashed asset)"] = script[1]
    return found


def measure(base: str, path: str, seconds: int, script: Path) -> tuple[float, float]:
    """Requests per second and the gateway's CPU ms per request."""
    pids = gateway_pids()
    before = _cpu_seconds(pids)
    output = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{seconds}s", "-s", str(script), base + path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    used = _cpu_seconds(pids) - before
    if "Non-2xx" in output:
        raise SystemExit(f"{path}: some answers were not 2xx:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    return rate, 1000 * used / (rate * seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    if not gateway_pids():
        raise SystemExit("no gateway process (services.gateway.app) runs on this machine")
    base = args.url.rstrip("/")
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; {base}")
    print(f"{'request':<24} {'req/s':>8} {'gateway CPU ms/req':>19}")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "accept.lua"
        script.write_text(WRK_SCRIPT)
        for name, path in paths(base).items():
            rate, cpu = measure(base, path, args.seconds, script)
            print(f"{name:<24} {rate:>8.0f} {cpu:>19.3f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

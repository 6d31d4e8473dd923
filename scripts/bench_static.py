"""Benchmark the static example path: files the worker rendered, sent by the gateway.

Starts the platform as processes on free ports (as scripts/bench_serving.py does: a private
Redis, the models under ``--base-path``, the worker that renders the committed model at
start into a static folder of its own), waits until the example list points at the
rendered files, then loads with ``wrk`` (each connection cycles through every example):

- ``static``: ``GET /static/<model>/<version>/<fingerprint>/bundles/<sha256>.bin``, the
  URLs the list gives (what nginx or a CDN would serve instead, docs/serving.md);
- ``example-route``: ``GET /api/examples/{id}/activations?version=&fingerprint=`` (the
  route the SPA asks, which now sends the rendered file);
- ``digest-route``: ``GET /api/models/{m}/versions/{v}/activations/{digest}`` (the
  gateway's in-memory bundle cache, no file: the path before this change);
- ``nginx``: the static URLs from nginx with infra/nginx/cnn101.conf (its port, upstream
  and root replaced), when nginx is installed: the recipe of docs/serving.md, checked.

and prints requests/s and p50/p95/p99 (ms) per row, with the machine's load average before
and after. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from services.common import nginx_site
from services.runner import start_services, wait_ready
from services.supervisor import Supervisor

# wrk's result line and the free-port helper are bench_serving.py's: one copy of each.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serving import WRK_SCRIPT, _free_port


def _load() -> str:
    """The 1, 5 and 15 minute load averages (as ``uptime`` prints them)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _wrk(
    url: str, paths: list[str], clients: int, seconds: int, kind: str, *, rate: float = 0.0
) -> str:
    """Each of wrk's connections walks ``paths`` in turn, saturated (``rate`` 0) or paced
    so that all together send ``rate`` requests/s (wrk's delay()); one table row."""
    listed = ", ".join(f'"{path}"' for path in paths)
    pacing = f"delay = function() return {clients * 1000 / rate:.3f} end\n" if rate else ""
    lua = (
        f"paths = {{{listed}}}\ncounter = math.random(#paths)\n"
        "request = function()\n  counter = counter % #paths + 1\n"
        '  return wrk.format("GET", paths[counter])\nend\n' + pacing
    )
    kind += f"@{rate:g}/s" if rate else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds}s", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()
    n, errors, duration = int(fields[1]), int(fields[2]), float(fields[3])
    p50, p95, p99 = float(fields[4]), float(fields[5]), float(fields[6])
    return (
        f"{kind:<22} {clients:>7} {n:>8} {errors:>6} {n / duration:>9.0f} "
        f"{p50:>8.2f} {p95:>8.2f} {p99:>8.2f}"
    )


def _nginx(
    log_dir: Path, gateway_port: int, static_root: Path
) -> tuple[subprocess.Popen[bytes], int]:
    """nginx in the foreground with the shipped site file, on a free port."""
    port = _free_port()
    study_port = int(os.environ["CNN101_EVALUATION_PORT"])
    config = nginx_site.write_config(
        log_dir / "nginx", port, gateway_port, static_root, study_port=study_port
    )
    return nginx_site.start(config, port), port


def _rendered(url: str, timeout: float) -> dict[str, object]:
    """The example list once it points at the rendered files."""
    deadline = time.monotonic() + timeout
    while True:
        listed: dict[str, object] = httpx.get(f"{url}/api/examples", timeout=60).json()
        examples = listed["examples"]
        assert isinstance(examples, list)
        if all(str(e["bundle_url"]).startswith("/static/") for e in examples):
            return listed
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not render the examples in time")
        time.sleep(1)


def _paths(url: str) -> tuple[list[str], list[str], list[str]]:
    """Once rendered, every example's static URL, activations route and digest route, each
    asked once (every cache is warm)."""
    listed = _rendered(url, timeout=300)
    examples = listed["examples"]
    assert isinstance(examples, list)
    model, version, fingerprint = listed["model"], listed["version"], listed["fingerprint"]
    print(f"model {model} v{version} ({fingerprint})")
    static = [str(e["bundle_url"]) for e in examples]
    pinned = f"version={version}&fingerprint={fingerprint}"
    dynamic = [f"/api/examples/{e['id']}/activations?{pinned}" for e in examples]
    base = f"/api/models/{model}/versions/{version}/activations"
    digests = [f"{base}/{e['digest']}?fingerprint={fingerprint}" for e in examples]
    for path in static + dynamic + digests:
        httpx.get(url + path, timeout=60).raise_for_status()
    return static, dynamic, digests


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base-path", type=Path, default=Path(__file__).resolve().parents[1] / "models"
    )
    parser.add_argument("--seconds", type=int, default=10, help="duration of each run")
    parser.add_argument("--clients", type=int, nargs="+", default=[64])
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=600.0,
        help="also run each path paced at this many requests/s over all clients (0: skip)",
    )
    args = parser.parse_args()
    redis_binary = shutil.which("redis-server")
    if shutil.which("wrk") is None or redis_binary is None:
        print("wrk and redis-server are needed (apt-get install wrk redis-server)", file=sys.stderr)
        return 2

    log_dir = Path(tempfile.mkdtemp(prefix="cnn101-bench-static-"))
    log_dir.chmod(0o755)  # nginx's workers (another user) read the static folder inside
    supervisor = Supervisor(log_dir)
    nginx: subprocess.Popen[bytes] | None = None
    redis_port = _free_port()
    gateway_port = _free_port()
    os.environ.update(
        {
            "CNN101_MODEL_BASE_PATH": str(args.base_path),
            "CNN101_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CNN101_INFERENCE_PORT": str(_free_port()),
            "CNN101_ACTIVATIONS_PORT": str(_free_port()),
            "CNN101_GATEWAY_PORT": str(gateway_port),
            "CNN101_EVALUATION_PORT": str(_free_port()),
            "CNN101_STUDIO_PORT": str(_free_port()),
            "CNN101_RATE_LIMIT_SCALE": "0",
            "CNN101_EVALUATION_DATABASE_URL": f"sqlite:///{log_dir / 'study.db'}",
            "CNN101_CACHE_PREFIX": "bench-static",
            "CNN101_STATIC_ROOT": str(log_dir / "static"),
            "CNN101_VERSION_WATCH_SECONDS": "1",
        }
    )
    try:
        supervisor.start(
            "redis",
            [redis_binary, "--port", str(redis_port), "--save", "", "--appendonly", "no",
             "--dir", str(log_dir)],
            dict(os.environ),
        )  # fmt: skip
        time.sleep(0.5)
        start_services(supervisor, log_dir)
        url = f"http://127.0.0.1:{gateway_port}"
        wait_ready(supervisor, f"{url}/health/ready")
        static, dynamic, digests = _paths(url)
        runs = [("static", url, static), ("example-route", url, dynamic)]
        runs.append(("digest-route", url, digests))
        if shutil.which("nginx"):
            nginx, nginx_port = _nginx(log_dir, gateway_port, log_dir / "static")
            nginx_url = f"http://127.0.0.1:{nginx_port}"
            for path in static:  # the recipe serves the gateway's bytes, immutable
                answer = httpx.get(nginx_url + path, timeout=60)
                assert answer.content == httpx.get(url + path, timeout=60).content, path
                assert "immutable" in answer.headers["cache-control"], answer.headers
            runs.append(("nginx", nginx_url, static))
        print(f"logs in {log_dir}")
        print(f"load average before: {_load()}")
        print(f"{'path':<22} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>9} "
              f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")  # fmt: skip
        for clients in args.clients:
            for kind, target, paths in runs:
                print(_wrk(target, paths, clients, args.seconds, kind), flush=True)
            for kind, target, paths in runs if args.paced_rate > 0 else []:
                row = _wrk(target, paths, clients, args.seconds, kind, rate=args.paced_rate)
                print(row, flush=True)
        print(f"load average after: {_load()}")
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        supervisor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

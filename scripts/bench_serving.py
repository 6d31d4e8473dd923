"""Benchmark the serving path as students use it: gateway → activation cache → inference.

Starts the platform as processes on free ports (a private Redis, the models under
``--base-path``), then prints:

- bytes on the wire per image (the bundle) and the raw size of all layers;
- uncached activations (each request a new picture: upload, inference, caching),
  p50/p95/p99 and requests/s at 1, 16 and 64 concurrent clients;
- every example in turn (what a class browsing the examples does: each client cycles
  through all of them, after one warming pass), the same figures from the httpx client;
- cached activations (GET by digest, what a class mostly does), the same figures, twice:
  saturated (every client sends its next request as soon as the last is answered: the
  throughput ceiling) and paced (the clients together send ``--paced-rate`` requests/s,
  each waiting ``clients / rate`` s between requests: the latency a class sees at that
  load, as students do not hammer the server in a closed loop).

Load comes from ``wrk`` when installed (C, so the client does not compete with the server
for the interpreter), else from an asyncio httpx client. Figures, not assertions: run it
on a quiet machine. ``python scripts/bench_serving.py --help`` lists the knobs.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from services.runner import start_services, wait_ready
from services.supervisor import Supervisor

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f %.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def _percentiles(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return pick(0.50), pick(0.95), pick(0.99)


def _row(
    label: str,
    *,
    clients: int,
    n: int,
    errors: int,
    seconds: float,
    p: tuple[float, float, float],
) -> str:
    return (
        f"{label:<14} {clients:>7} {n:>8} {errors:>6} {n / seconds:>9.0f} "
        f"{p[0]:>8.2f} {p[1]:>8.2f} {p[2]:>8.2f}"
    )


async def _uncached(url: str, clients: int, per_client: int, seed: int) -> str:
    latencies: list[float] = []
    errors = 0

    async def one_client(index: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        for k in range(per_client):
            body = _png(seed + index * per_client + k)
            started = time.perf_counter()
            response = await http.post(
                f"{url}/api/activations", files={"file": ("x.png", body, "image/png")}
            )
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(one_client(i, http) for i in range(clients)))
        seconds = time.perf_counter() - started
    return _row(
        "uncached",
        clients=clients,
        n=len(latencies),
        errors=errors,
        seconds=seconds,
        p=_percentiles(latencies),
    )


# Each request a different 64x64 BMP (a digit counter written into its first pixels, so no
# two are alike and none is cached), built by wrk's LuaJIT: the client costs almost nothing.
UNCACHED_WRK_SCRIPT = r"""
local boundary = "cnn101bench"
local function u32(n)
  return string.char(n % 256, math.floor(n / 256) % 256, math.floor(n / 65536) % 256,
    math.floor(n / 16777216) % 256)
end
local header = "BM" .. u32(54 + 12288) .. u32(0) .. u32(54) .. u32(40) .. u32(64) .. u32(64)
  .. string.char(1, 0, 24, 0) .. u32(0) .. u32(12288) .. u32(2835) .. u32(2835) .. u32(0) .. u32(0)
local noise = {}
for i = 1, 12288 - 16 do noise[i] = string.char(math.random(0, 255)) end
noise = table.concat(noise)
local counter = 0
local id = 0
setup = function(thread) thread:set("id", id); id = id + 1 end
request = function()
  counter = counter + 1
  local unique = string.format("%08d%08d", id, counter)
  local body = "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="file"; filename="x.bmp"\r\n'
    .. "Content-Type: image/bmp\r\n\r\n" .. header .. unique .. noise
    .. "\r\n--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/api/activations", {
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, body)
end
"""


def _wrk(lua: str, url: str, clients: int, seconds: int, kind: str) -> str:
    """Run wrk with ``lua`` (plus the script that prints the RESULT line); one table row."""
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
    p = (float(fields[4]), float(fields[5]), float(fields[6]))
    return _row(kind, clients=clients, n=n, errors=errors, seconds=duration, p=p)


def _uncached_wrk(url: str, clients: int, seconds: int) -> str:
    """Uncached uploads from wrk (each a new picture), saturated: the server's ceiling."""
    return _wrk(UNCACHED_WRK_SCRIPT, url, clients, seconds, "uncached(wrk)")


def _cached_wrk(
    url: str,
    clients: int,
    seconds: int,
    rate: float | None = None,
    paths: list[str] | None = None,
) -> str:
    """Saturated load, or paced to ``rate`` requests/s over all clients (wrk's delay());
    ``paths``: each of wrk's connections walks them in turn instead of asking for ``url``."""
    pacing = "" if rate is None else f"delay = function() return {clients * 1000 / rate:.3f} end\n"
    cycling = ""
    if paths:
        listed = ", ".join(f'"{path}"' for path in paths)
        cycling = (
            f"paths = {{{listed}}}\ncounter = math.random(#paths)\n"
            "request = function()\n  counter = counter % #paths + 1\n"
            '  return wrk.format("GET", paths[counter])\nend\n'
        )
    kind = "examples" if paths else "cached"
    kind += "" if rate is None else f"@{rate:g}/s"
    return _wrk(pacing + cycling, url, clients, seconds, kind)


async def _cached_httpx(urls: list[str], clients: int, seconds: int, kind: str) -> str:
    """Saturated load from the httpx client: each client walks ``urls`` in turn, from its
    own starting point (one URL: everyone asks for the same bundle)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one_client(index: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        step = index * len(urls) // max(1, clients)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await http.get(urls[step % len(urls)])
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200
            step += 1

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=clients)) as h:
        started = time.perf_counter()
        await asyncio.gather(*(one_client(i, h) for i in range(clients)))
        elapsed = time.perf_counter() - started
    return _row(
        kind,
        clients=clients,
        n=len(latencies),
        errors=errors,
        seconds=elapsed,
        p=_percentiles(latencies),
    )


def _uncached_runs(url: str, args: argparse.Namespace) -> None:
    """New pictures: a fixed number from the httpx client (PNGs), then wrk for
    ``--seconds`` at each concurrency (BMPs made in Lua, so the client costs little)."""
    for clients in args.clients:
        per_client = max(1, args.uncached_requests // clients)
        print(asyncio.run(_uncached(url, clients, per_client, seed=clients * 100_000)), flush=True)
    if shutil.which("wrk"):
        for clients in args.clients:
            print(_uncached_wrk(url, clients, args.seconds), flush=True)


def _example_runs(url: str, example_urls: list[str], args: argparse.Namespace) -> None:
    """Every example in turn, after one warming pass (Redis and the gateway's memory)."""
    for example_url in example_urls:
        httpx.get(example_url, timeout=60)
    for clients in args.clients:
        if not shutil.which("wrk"):
            print(
                asyncio.run(_cached_httpx(example_urls, clients, args.seconds, "examples*")),
                flush=True,
            )
            continue
        paths = [u.removeprefix(url) for u in example_urls]
        print(_cached_wrk(url, clients, args.seconds, paths=paths), flush=True)
        if clients > 1 and args.paced_rate > 0:
            print(_cached_wrk(url, clients, args.seconds, args.paced_rate, paths), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base-path", type=Path, default=Path(__file__).resolve().parents[1] / "models"
    )
    parser.add_argument(
        "--uncached-requests",
        type=int,
        default=128,
        help="requests per concurrency level (split across clients)",
    )
    parser.add_argument("--seconds", type=int, default=10, help="duration of each cached run")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=600.0,
        help="requests/s over all clients for the paced cached runs (wrk only; 0: skip)",
    )
    args = parser.parse_args()

    log_dir = Path(tempfile.mkdtemp(prefix="cnn101-bench-"))
    supervisor = Supervisor(log_dir)
    redis_port = _free_port()
    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        print("redis-server is needed (apt-get install redis-server)", file=sys.stderr)
        return 2
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
            # One address plays a whole class: the per-client limits would count it as one.
            "CNN101_RATE_LIMIT_SCALE": "0",
            "CNN101_EVALUATION_DATABASE_URL": f"sqlite:///{log_dir / 'study.db'}",
            "CNN101_CACHE_PREFIX": "bench",
        }
    )
    try:
        supervisor.start(
            "redis",
            [
                redis_binary,
                "--port",
                str(redis_port),
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
        examples = httpx.get(f"{url}/api/examples", timeout=60).json()
        model, version = examples["model"], examples["version"]
        bundle = httpx.get(
            f"{url}/api/examples/{examples['examples'][0]['id']}/activations", timeout=60
        )
        description = httpx.get(f"{url}/api/models/{model}", timeout=60).json()["description"]
        raw = sum(int(np.prod(layer["output_shape"])) * 4 for layer in description["layers"][1:])
        print(f"model {model} v{version}; logs in {log_dir}")
        print(
            f"bytes on the wire per image: {len(bundle.content):,} "
            f"(all layers as float32: {raw:,}; input pixels included)"
        )
        print()
        print(
            f"{'kind':<14} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>9} "
            f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        )
        _uncached_runs(url, args)
        fingerprint = bundle.headers["x-model-fingerprint"]
        example_urls = [
            f"{url}/api/examples/{e['id']}/activations?version={version}&fingerprint={fingerprint}"
            for e in examples["examples"]
        ]
        _example_runs(url, example_urls, args)
        cached_url = f"{url}{bundle.headers['content-location']}"
        httpx.get(cached_url, timeout=60)
        for clients in args.clients:
            if shutil.which("wrk"):
                print(_cached_wrk(cached_url, clients, args.seconds), flush=True)
            else:
                print(
                    asyncio.run(_cached_httpx([cached_url], clients, args.seconds, "cached*")),
                    flush=True,
                )
        if shutil.which("wrk") and args.paced_rate > 0:
            for clients in args.clients:
                if clients > 1:
                    print(
                        _cached_wrk(cached_url, clients, args.seconds, args.paced_rate), flush=True
                    )
        if not shutil.which("wrk"):
            print("* measured with the Python client (install wrk for a lighter client)")
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())

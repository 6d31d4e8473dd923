"""CPU per request of the two asyncio HTTP clients in the lock: httpx and aiohttp.

The load generator (scripts/loadtest_student.py) shares the machine it measures, and the
gateway forwards every study request it receives: the client's CPU per request is paid at
a class's peak. This starts nginx answering a small JSON body from memory (nothing else
on the server side), then sends ``--requests`` POSTs with a JSON body from ``--clients``
concurrent sessions of each client (6 connections each, as a browser and the load
generator keep), and prints the client process's CPU milliseconds per request.

    .venv/bin/python scripts/bench_http_clients.py --requests 4000 --clients 50
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx

from services.common import nginx_site

NGINX = """
pid {dir}/nginx.pid;
error_log {dir}/error.log;
worker_processes 1;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/c; proxy_temp_path {dir}/p; fastcgi_temp_path {dir}/f;
  uwsgi_temp_path {dir}/u; scgi_temp_path {dir}/s;
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type application/json; return 200 '{{"stored": true}}'; }}
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_nginx(folder: Path, port: int) -> subprocess.Popen[bytes]:
    config = folder / "nginx.conf"
    config.write_text(NGINX.format(dir=folder, port=port))
    return nginx_site.start(config, port)


async def _with_httpx(base: str, per_client: int, index: int) -> None:
    limits = httpx.Limits(max_connections=6, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:
        for _ in range(per_client):
            response = await client.post("/answers", json={"choice_index": index})
            response.raise_for_status()
            response.json()


async def _with_aiohttp(base: str, per_client: int, index: int) -> None:
    connector = aiohttp.TCPConnector(limit=6, keepalive_timeout=2.0)
    async with aiohttp.ClientSession(base, connector=connector) as client:
        for _ in range(per_client):
            async with client.post("/answers", json={"choice_index": index}) as response:
                response.raise_for_status()
                await response.json()


async def _run(
    one: Callable[[str, int, int], Awaitable[None]], base: str, requests: int, clients: int
) -> None:
    await asyncio.gather(*(one(base, requests // clients, i) for i in range(clients)))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2, help="each client this many times")
    args = parser.parse_args()
    if shutil.which("nginx") is None:
        raise SystemExit("nginx is needed: apt-get install nginx-light")
    print(f"load average before: {Path('/proc/loadavg').read_text().split()[0]}")
    folder = Path(tempfile.mkdtemp(prefix="cnn101-bench-clients-"))
    port = _free_port()
    nginx = _start_nginx(folder, port)
    base = f"http://127.0.0.1:{port}"
    clients: dict[str, Callable[[str, int, int], Awaitable[None]]] = {
        "httpx": _with_httpx,
        "aiohttp": _with_aiohttp,
    }
    try:
        for _ in range(args.rounds):
            for name, one in clients.items():
                cpu, wall = time.process_time(), time.perf_counter()
                asyncio.run(_run(one, base, args.requests, args.clients))
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                sent = args.requests // args.clients * args.clients
                print(
                    f"{name:<8} {sent} requests, {args.clients} clients: "
                    f"{cpu / sent * 1000:.3f} ms of client CPU per request, "
                    f"{sent / wall:.0f} requests/s"
                )
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

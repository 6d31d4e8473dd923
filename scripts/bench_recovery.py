"""How fast the platform heals: each service SIGKILLed in turn, and a hung cache Redis.

Starts ``cnn101 run`` (private Redis, SQLite in a temporary folder, free ports), then for
each service: waits until every process answers its liveness check, SIGKILLs the service's
process, and prints how long until the gateway's readiness is ``ok`` again and until the
new process answers its own check. Then SIGSTOPs the cache's Redis (it accepts connections
and never answers) and prints how long each of five picture uploads takes meanwhile.

    .venv/bin/python scripts/bench_recovery.py
"""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image
from running_platform import Platform, running_platform

VICTIMS = (
    "activations",
    "inference",
    "inference-2",
    "worker",
    "beat",
    "model-worker",
    "cache-redis",
    "studio",
    "evaluation",
    "gateway",
)


def _processes(log_dir: Path) -> dict[str, dict[str, Any]]:
    return Platform("", log_dir).processes()


def _ready(base: str) -> bool:
    try:
        response = httpx.get(f"{base}/health/ready", timeout=5)
    except httpx.TransportError:
        return False
    return response.status_code == 200 and response.json()["status"] == "ok"


def _all_running(log_dir: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not all(p["state"] == "running" for p in _processes(log_dir).values()):
        if time.monotonic() > deadline:
            raise SystemExit(f"not every process came up: {Platform('', log_dir).processes()}")
        time.sleep(0.2)


def _kill_and_time(victim: str, base: str, log_dir: Path) -> tuple[float, float]:
    """Seconds from SIGKILL to readiness ``ok`` and to the new process answering."""
    _all_running(log_dir)
    before = _processes(log_dir)[victim]
    killed = time.monotonic()
    os.kill(before["pid"], signal.SIGKILL)
    ready = up = None
    while time.monotonic() - killed < 120 and (ready is None or up is None):
        now = _processes(log_dir)[victim]
        restarted = now["restarts"] == before["restarts"] + 1
        if restarted and ready is None and _ready(base):
            ready = time.monotonic() - killed
        if restarted and up is None and now["state"] == "running":
            up = time.monotonic() - killed
        time.sleep(0.1)
    if ready is None or up is None:
        raise SystemExit(f"{victim} did not recover: {Platform('', log_dir).processes()}")
    return ready, up


def _png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def _uploads_with_hung_redis(base: str, log_dir: Path) -> list[float]:
    _all_running(log_dir)
    pid = _processes(log_dir)["cache-redis"]["pid"]
    took = []
    os.kill(pid, signal.SIGSTOP)
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for seed in range(5):
                began = time.perf_counter()
                answer = client.post("/api/activations", files={"file": ("p.png", _png(seed))})
                took.append(time.perf_counter() - began)
                if answer.status_code != 200:
                    raise SystemExit(f"upload answered {answer.status_code}: {answer.text}")
    finally:
        os.kill(pid, signal.SIGCONT)
    return took


def main() -> int:
    with running_platform() as platform:
        base, log_dir = platform.base, platform.log_dir
        print(f"load before: {os.getloadavg()[0]:.2f} (1-min average); logs in {log_dir}")
        print(f"{'killed':<14} {'ready again s':>14} {'process up s':>13}")
        for victim in VICTIMS:
            ready, up = _kill_and_time(victim, base, log_dir)
            print(f"{victim:<14} {ready:>14.1f} {up:>13.1f}", flush=True)
        took = _uploads_with_hung_redis(base, log_dir)
        print("uploads while the cache's Redis hangs (s): " + ", ".join(f"{t:.2f}" for t in took))
        print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The moment a teacher says "everyone, take a photo now": N webcam-sized uploads in 10 s.

Starts ``cnn101 run`` in a temporary folder (scripts/running_platform.py), builds ``--students``
different 640x480 JPEGs (a webcam frame's size; smooth photo-like content with noise, about
60 KB each), and sends each one at a random moment of the ``--window`` seconds, all from
one asyncio client (one connection per student). Every answer is checked: status 200, and
the class probabilities equal what the committed model computes for the same picture
prepared as the gateway prepares it (services/gateway/images.py) within 1e-5. Prints
latency p50 / p95 / max, errors, and the server's CPU seconds.

    .venv/bin/python scripts/bench_burst.py [--students 300] [--window 10]

Figures, not assertions: run it on a quiet machine and report the load average it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from cnn101.v1 import activations_pb2
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from running_platform import running_platform

from services.gateway.images import decode_upload
from services.inference.models import load_servable

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "tiny_vgg" / "1"


def webcam_frame(seed: int, width: int = 640, height: int = 480) -> bytes:
    """A smooth picture with some noise, JPEG quality 85: what a webcam frame weighs."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = [
        127
        + 100
        * np.sin(rows / rng.uniform(20, 90) + rng.uniform(0, 6))
        * np.cos(cols / rng.uniform(20, 90) + rng.uniform(0, 6))
        for _ in range(3)
    ]
    picture = np.stack(channels, axis=-1) + rng.normal(0, 12, (height, width, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def expected_probabilities(pictures: list[bytes]) -> np.ndarray:
    """What the model answers for each picture, prepared as the gateway prepares it."""
    pixels = np.stack(
        [decode_upload(p, max_bytes=10 << 20, max_pixels=4096 * 4096).pixels for p in pictures]
    )
    servable = load_servable("tiny_vgg", 1, MODEL)
    inputs = pixels.astype(np.float32) / np.float32(255.0)
    return servable.run("serving_default", {"input": inputs}, chunk_images=16)["probabilities"]


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks
    return total


async def burst(
    base: str, pictures: list[bytes], window: float, seed: int
) -> list[tuple[float, int, bytes]]:
    """Send each picture at a random moment of ``window`` s; its (seconds, status, body)."""
    rng = random.Random(seed)
    moments = sorted(rng.uniform(0, window) for _ in pictures)
    limits = httpx.Limits(max_connections=len(pictures), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        started = time.perf_counter()

        async def student(picture: bytes, at: float) -> tuple[float, int, bytes]:
            await asyncio.sleep(max(0.0, started + at - time.perf_counter()))
            sent = time.perf_counter()
            files = {"file": ("webcam.jpg", picture, "image/jpeg")}
            try:
                response = await http.post("/api/activations?version=1", files=files)
            except httpx.HTTPError:
                return time.perf_counter() - sent, 0, b""
            return time.perf_counter() - sent, response.status_code, response.content

        return list(
            await asyncio.gather(*(student(p, t) for p, t in zip(pictures, moments, strict=True)))
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--window", type=float, default=10.0, help="seconds the uploads span")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    pictures = [webcam_frame(args.seed * 100_000 + i) for i in range(args.students)]
    expected = expected_probabilities(pictures)
    print(
        f"{args.students} JPEGs of 640x480, {sum(map(len, pictures)) / len(pictures) / 1024:.0f}"
        f" KB on average, within {args.window:g} s; load average {os.getloadavg()[0]:.2f}"
    )
    with running_platform() as platform:
        pids = [int(p["pid"]) for p in platform.processes().values()]
        cpu_before = _cpu_seconds(pids)
        results = asyncio.run(burst(platform.base, pictures, args.window, args.seed))
        cpu = _cpu_seconds(pids) - cpu_before
    latencies = sorted(seconds for seconds, _, _ in results)
    wrong = errors = 0
    for (_, status, body), reference in zip(results, expected, strict=True):
        if status != 200:
            errors += 1
            continue
        bundle = activations_pb2.ActivationBundle.FromString(body)
        if not np.allclose(bundle.probabilities, reference, rtol=0, atol=1e-5):
            wrong += 1
    n = len(latencies)
    print(
        f"answers: {n - errors} of {n} 200, {wrong} with other probabilities than the model's;"
        f" latency p50 {1000 * latencies[n // 2]:.0f} ms, p95 {1000 * latencies[int(n * 0.95)]:.0f}"
        f" ms, max {1000 * latencies[-1]:.0f} ms; server CPU {cpu:.1f} s"
        f" ({1000 * cpu / n:.1f} ms per upload); load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()

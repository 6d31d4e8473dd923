"""Measure the inference server's limits from outside: deadlines, memory, warm-up.

Runs ``python -m services.inference`` as a separate process over ``--base-path``
(default: the repository's ``models/``) and talks to it over a real channel, reading its
CPU time and resident memory from ``/proc``. It prints:

- for a 1000-image Predict without deadline, with a 0.5 s deadline and with a deadline of
  3/4 of the time the batch takes (so it passes while chunks are being computed): the time
  from the deadline until the server is idle again (its CPU time stops growing), the CPU
  seconds it spent after the deadline and the growth of its resident memory (peak and
  6 s later). The batch cap is raised to 1000 for this, so the batch is computed at all;
- with the default caps: how fast the same 1000 images and 100 images of ``activations``
  are refused;
- the latency of the first Predict per signature right after health says SERVING, with
  warm-up and without (``CNN101_INFERENCE_WARMUP=false``), a fresh server each time, and
  a second request for comparison.

``--server-source DIR`` runs the server from another tree (e.g. the previous commit:
``git archive HEAD~1 services | tar -x -C /tmp/before``) for a before/after comparison;
``--sections deadlines`` runs one part only.

    .venv/bin/python scripts/bench_inference_limits.py
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import grpc
import numpy as np
import tensorflow as tf
from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
MESSAGE_BYTES = 64 * 1024 * 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
SIGNATURES = ("serving_default", "activations")
IDLE_WINDOW = 0.3  # seconds without (almost) any CPU time: the server is idle
IDLE_CPU = 0.03  # CPU seconds allowed in that window (gRPC's own polling)
SECTIONS = ("deadlines", "caps", "warmup")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Measure deadlines, memory and warm-up.")
    parser.add_argument("--base-path", type=Path, default=ROOT / "models")
    parser.add_argument("--model", default="tiny_vgg")
    parser.add_argument("--server-source", type=Path, default=ROOT)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--deadline", type=float, default=0.5, help="seconds")
    parser.add_argument("--repeat", type=int, default=3, help="fresh servers per warm-up case")
    parser.add_argument(
        "--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="what to run"
    )
    return parser.parse_args(argv)


@dataclass
class Sample:
    at: float
    cpu: float
    rss: int


@dataclass
class Server:
    """A server process, its port, and samples of its CPU time and memory."""

    process: subprocess.Popen[str]
    port: int
    samples: list[Sample] = field(default_factory=list)
    sampling: bool = True

    def sample(self) -> Sample:
        proc = Path("/proc") / str(self.process.pid)
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        rss = int((proc / "statm").read_text().split()[1]) * PAGE_BYTES
        return Sample(time.monotonic(), cpu, rss)

    def sample_forever(self) -> None:
        while self.sampling and self.process.poll() is None:
            self.samples.append(self.sample())
            time.sleep(0.01)

    def idle_since(self, after: float) -> float:
        """The first moment after ``after`` from which the server used (almost) no CPU."""
        samples = [s for s in self.samples if s.at >= after]
        for i, first in enumerate(samples):
            window = [s for s in samples[i:] if s.at <= first.at + IDLE_WINDOW]
            if window[-1].at - first.at >= IDLE_WINDOW - 0.05 and (
                window[-1].cpu - first.cpu <= IDLE_CPU
            ):
                return first.at
        return float("nan")


@contextmanager
def running_server(arguments: argparse.Namespace, **env: str) -> Iterator[Server]:
    """A server process over the base path with extra ``CNN101_*`` variables."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(arguments.server_source),
        "CNN101_MODEL_BASE_PATH": str(arguments.base_path.resolve()),
        "CNN101_INFERENCE_HOST": "127.0.0.1",
        "CNN101_INFERENCE_PORT": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "services.inference"],
        env=environment,
        cwd=arguments.server_source,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    port = 0
    for line in process.stderr:
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if match:
            port = int(match.group(1))
            break
    if not port:
        process.kill()
        raise SystemExit("the server did not start: " + (process.stderr.read() or "")[-2000:])
    drain = threading.Thread(target=lambda: [None for _ in process.stderr or []], daemon=True)
    drain.start()
    server = Server(process, port)
    sampler = threading.Thread(target=server.sample_forever, daemon=True)
    sampler.start()
    try:
        yield server
    finally:
        server.sampling = False
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def connect(port: int) -> tuple[Any, Any, Any]:
    options = [
        ("grpc.max_send_message_length", MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MESSAGE_BYTES),
    ]
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=options)
    return (
        channel,
        prediction_service_pb2_grpc.PredictionServiceStub(channel),
        health_pb2_grpc.HealthStub(channel),
    )


def wait_serving(health: Any, timeout: float = 180.0) -> None:
    serving = health_pb2.HealthCheckResponse.SERVING
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == serving:
            return
        time.sleep(0.02)
    raise SystemExit(f"nothing was served within {timeout:.0f} s")


def request(model: str, count: int, signature: str = "") -> Any:
    message = predict_pb2.PredictRequest()
    message.model_spec.name = model
    message.model_spec.signature_name = signature
    images = np.random.default_rng(0).random((count, 64, 64, 3), dtype=np.float32)
    message.inputs["input"].CopyFrom(tf.make_tensor_proto(images))
    return message


def status_of(predict: Any, message: Any, timeout: float) -> tuple[str, float]:
    """The status name of a Predict and the seconds it took."""
    start = time.monotonic()
    try:
        predict.Predict(message, timeout=timeout)
        code = "OK"
    except grpc.RpcError as error:
        code = error.code().name
    return code, time.monotonic() - start


def run_big(arguments: argparse.Namespace, timeout: float | None) -> float:
    """One big Predict on a fresh server; print what it cost. Returns the call's seconds."""
    big = request(arguments.model, arguments.images)
    cap = {"CNN101_INFERENCE_MAX_BATCH": str(arguments.images)}
    with running_server(arguments, **cap) as server:
        channel, predict, health = connect(server.port)
        wait_serving(health)
        time.sleep(1.0)  # let start-up work settle before measuring memory and CPU
        before = server.sample()
        start = time.monotonic()
        code, seconds = status_of(predict, big, timeout or 600.0)
        end = start + timeout if timeout is not None else time.monotonic()
        time.sleep(max(0.0, end + 6.0 - time.monotonic()))
        after = server.sample()
        idle = server.idle_since(end)
        at_end = min(server.samples, key=lambda s: abs(s.at - end))
        peak = max(s.rss for s in server.samples if s.at >= start)
        channel.close()
    what = f"deadline {timeout:.2f} s" if timeout is not None else "no deadline"
    print(
        f"  {what}: {code} after {seconds:.2f} s; server idle {idle - end:+.2f} s after "
        f"{'the deadline' if timeout is not None else 'the answer'}, "
        f"{after.cpu - at_end.cpu:.2f} CPU s after it; RSS {before.rss / 1e9:.2f} GB before, "
        f"peak +{(peak - before.rss) / 1e9:.2f} GB, +{(after.rss - before.rss) / 1e9:.2f} GB "
        "6 s later"
    )
    return seconds


def bench_deadlines(arguments: argparse.Namespace) -> None:
    print(f"{arguments.images}-image Predict (serving_default), batch cap raised to it:")
    full = run_big(arguments, None)
    run_big(arguments, arguments.deadline)
    # The request itself takes 0.3-0.5 s to arrive: 3/4 of the time passes mid-batch.
    run_big(arguments, full * 0.75)


def bench_caps(arguments: argparse.Namespace) -> None:
    print("Default caps (refused before computing):")
    with running_server(arguments) as server:
        channel, predict, health = connect(server.port)
        wait_serving(health)
        for count, signature in ((arguments.images, ""), (100, "activations")):
            code, seconds = status_of(predict, request(arguments.model, count, signature), 60)
            name = signature or "serving_default"
            print(f"  {count} images of {name}: {code} in {seconds * 1000:.0f} ms")
        channel.close()


def bench_warmup(arguments: argparse.Namespace) -> None:
    print(f"First Predict (1 image) after SERVING, median of {arguments.repeat} fresh servers:")
    one = {signature: request(arguments.model, 1, signature) for signature in SIGNATURES}
    for warmup in ("true", "false"):
        for signature in SIGNATURES:
            firsts, seconds = [], []
            for _ in range(arguments.repeat):
                with running_server(arguments, CNN101_INFERENCE_WARMUP=warmup) as server:
                    channel, predict, health = connect(server.port)
                    wait_serving(health)
                    firsts.append(status_of(predict, one[signature], 60)[1] * 1000)
                    seconds.append(status_of(predict, one[signature], 60)[1] * 1000)
                    channel.close()
            label = "with warm-up   " if warmup == "true" else "without warm-up"
            print(
                f"  {label} {signature:<16} first {statistics.median(firsts):6.1f} ms "
                f"(all: {', '.join(f'{v:.0f}' for v in firsts)}), "
                f"second {statistics.median(seconds):5.1f} ms"
            )


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    print(f"server from {arguments.server_source}, models from {arguments.base_path}")
    sections = {"deadlines": bench_deadlines, "caps": bench_caps, "warmup": bench_warmup}
    for name in arguments.sections:
        sections[name](arguments)


if __name__ == "__main__":
    main(sys.argv[1:])

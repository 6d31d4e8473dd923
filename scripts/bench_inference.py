"""Measure Predict of the ``activations`` signature through the real gRPC server.

Starts the inference server in this process on a free port over ``--base-path`` (default:
the repository's ``models/``), waits until it serves, then sends ``--iterations`` Predict
requests per batch size over a real channel and prints p50 / p95 latency and images/s.
What is measured is what the activation cache pays: serialisation, gRPC, the model run.
With ``--separate-process`` the server is ``python -m services.inference`` of its own, as
the platform runs it, so the client's threads do not share the server's GIL, and the server
runs without TensorFlow. Use it for the platform's figure: in this process TensorFlow's
import had hidden that the server's buffers were faulted in again on every call (3.5-3.8 ms
a call in the server's own process until services/common/allocator.py; docs/sizing.md).

With ``--floor`` each batch also gets a second row, ``floor``: the same number of request
and response bytes through a bare grpcio server that does nothing (raw bytes, no protobuf,
no model), in the same process arrangement. It is what gRPC alone costs on this machine
today, so Predict's p50 minus the floor's is the part that is ours; on 7 December the floor
of a 1-image call was 1.8 ms, above issue 17's 1.5 ms target (docs/sizing.md).

    .venv/bin/python scripts/bench_inference.py --base-path models --batches 1 32
        [--runtime tensorflow] [--separate-process] [--floor]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import grpc
import numpy as np
import tensorflow as tf
from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from services.inference.registry import discover
from services.inference.server import build_server
from services.inference.settings import InferenceSettings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from running_platform import free_port

SIGNATURE = "activations"
FLOOR_METHOD = "/cnn101.bench.Floor/Answer"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    defaults = InferenceSettings()
    parser = argparse.ArgumentParser(description="Measure Predict of the activations signature.")
    parser.add_argument("--base-path", type=Path, default=defaults.model_base_path)
    parser.add_argument("--model", default="tiny_vgg")
    parser.add_argument("--iterations", type=int, default=50, help="requests per batch size")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests first")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for it")
    parser.add_argument(
        "--runtime",
        choices=["auto", "tensorflow"],
        default="auto",
        help="auto: the version's LiteRT copy if it has one; tensorflow: the SavedModel",
    )
    parser.add_argument(
        "--separate-process",
        action="store_true",
        help="run the server as a process of its own (python -m services.inference)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time a bare gRPC server answering the same byte counts (what gRPC costs)",
    )
    parser.add_argument("--serve-floor", type=int, help=argparse.SUPPRESS)  # the floor's process
    return parser.parse_args(argv)


@contextmanager
def stopped_on_exit(server: Any) -> Iterator[None]:
    """Stop a started in-process server when the block ends."""
    try:
        yield
    finally:
        server.stop(grace=0)


@contextmanager
def process_running(
    command: list[str], environment: dict[str, str] | None = None
) -> Iterator[None]:
    """Run ``command`` as a process for as long as the block lasts."""
    process = subprocess.Popen(command, env=environment)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def served(settings: InferenceSettings, separate_process: bool) -> Iterator[int]:
    """The server's port, for as long as it runs: in this process, or in its own."""
    if not separate_process:
        server, port = build_server(settings)
        server.start()
        with stopped_on_exit(server):
            yield port
        return
    port = free_port()
    environment = {
        **os.environ,
        "CNN101_INFERENCE_HOST": "127.0.0.1",
        "CNN101_INFERENCE_PORT": str(port),
        "CNN101_MODEL_BASE_PATH": str(settings.model_base_path),
        "CNN101_INFERENCE_RUNTIME": settings.inference_runtime,
    }
    with process_running([sys.executable, "-m", "services.inference"], environment):
        yield port


def floor_server(port: int, workers: int) -> tuple[grpc.Server, int]:
    """A started gRPC server that answers FLOOR_METHOD with as many zero bytes as the first 8
    bytes of the request ask for: gRPC's own cost, with no protobuf and no model."""
    answers: dict[int, bytes] = {}

    def answer(request: bytes, context: Any) -> bytes:
        size = int.from_bytes(request[:8], "little")
        if size not in answers:  # one allocation per size, as a model's outputs are made once
            answers[size] = bytes(size)
        return answers[size]

    handler = grpc.method_handlers_generic_handler(
        FLOOR_METHOD.split("/")[1], {"Answer": grpc.unary_unary_rpc_method_handler(answer)}
    )
    size = InferenceSettings().inference_max_message_bytes
    server = grpc.server(
        ThreadPoolExecutor(workers),
        options=[("grpc.max_send_message_length", size), ("grpc.max_receive_message_length", size)],
    )
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    return server, bound


@contextmanager
def floor_served(workers: int, separate_process: bool) -> Iterator[int]:
    """The floor server's port, in this process or in one of its own (as ``served``)."""
    if not separate_process:
        server, port = floor_server(0, workers)
        with stopped_on_exit(server):
            yield port
        return
    port = free_port()
    with process_running([sys.executable, __file__, "--serve-floor", str(port)]):
        yield port


def floor_request(request_bytes: int, response_bytes: int) -> bytes:
    """A request of ``request_bytes`` whose first 8 bytes ask for ``response_bytes``."""
    return response_bytes.to_bytes(8, "little") + bytes(max(0, request_bytes - 8))


def wait_until_served(channel: Any, model: str, timeout: float) -> Any:
    """The model's input TensorInfo once the server serves it (SystemExit after timeout)."""
    health = health_pb2_grpc.HealthStub(channel)
    predict = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = model
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            serving = health.Check(health_pb2.HealthCheckRequest(), timeout=timeout).status
        except grpc.RpcError:  # a server of its own may not listen yet
            time.sleep(0.2)
            continue
        if serving == health_pb2.HealthCheckResponse.SERVING:
            try:
                response = predict.GetModelMetadata(request, timeout=timeout)
            except grpc.RpcError as error:
                raise SystemExit(f"{model}: {error.details()}") from error
            signatures = get_model_metadata_pb2.SignatureDefMap()
            response.metadata["signature_def"].Unpack(signatures)
            return signatures.signature_def[SIGNATURE].inputs["input"]
        time.sleep(0.2)
    raise SystemExit(f"nothing was served within {timeout:.0f} s: is there a version under it?")


def measure(call: Any, request: Any, iterations: int, warmup: int) -> list[float]:
    """Latencies of ``iterations`` calls, in milliseconds, after ``warmup`` unmeasured ones."""
    for _ in range(warmup):
        call(request, timeout=120)
    latencies = []
    for _ in range(iterations):
        start = time.perf_counter()
        call(request, timeout=120)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def print_row(label: str, batch: int, latencies: list[float], response_mb: float) -> None:
    p50 = statistics.median(latencies)
    p95 = float(np.percentile(latencies, 95))
    throughput = batch * len(latencies) / (sum(latencies) / 1000)
    print(f"{label:>7} {batch:>5} {p50:>9.1f} {p95:>9.1f} {throughput:>9.1f} {response_mb:>7.1f}")


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    if arguments.serve_floor is not None:
        server, _ = floor_server(arguments.serve_floor, InferenceSettings().inference_workers)
        server.wait_for_termination()
        return
    if not any(name == arguments.model for name, _ in discover(arguments.base_path)):
        raise SystemExit(
            f"no version of {arguments.model} under {arguments.base_path}: "
            "export one (cnn101 train) or pass --base-path"
        )
    settings = InferenceSettings(
        inference_host="127.0.0.1",
        inference_port=0,
        model_base_path=arguments.base_path,
        inference_runtime=arguments.runtime,
    )
    with ExitStack() as stack:
        port = stack.enter_context(served(settings, arguments.separate_process))
        floor_port = None
        if arguments.floor:
            workers = settings.inference_workers
            floor_port = stack.enter_context(floor_served(workers, arguments.separate_process))
        run(arguments, settings, port, floor_port)


def run(
    arguments: argparse.Namespace, settings: InferenceSettings, port: int, floor_port: int | None
) -> None:
    size = settings.inference_max_message_bytes
    options = [("grpc.max_send_message_length", size), ("grpc.max_receive_message_length", size)]
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=options)
    floor_channel = (
        grpc.insecure_channel(f"127.0.0.1:{floor_port}", options=options)
        if floor_port is not None
        else None
    )
    try:
        input_info = wait_until_served(channel, arguments.model, arguments.timeout)
        height, width, channels = (d.size for d in input_info.tensor_shape.dim[1:])
        predict = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        answer = None
        if floor_channel is not None:
            answer = floor_channel.unary_unary(FLOOR_METHOD)
            wait_for_floor(answer, arguments.timeout)
        rng = np.random.default_rng(0)
        print(f"{arguments.model} from {arguments.base_path}, signature {SIGNATURE}")
        print(f"{'':>7} {'batch':>5} {'p50 ms':>9} {'p95 ms':>9} {'images/s':>9} {'MB out':>7}")
        for batch in arguments.batches:
            inputs = rng.random((batch, height, width, channels), dtype=np.float32)
            request = predict_pb2.PredictRequest()
            request.model_spec.name = arguments.model
            request.model_spec.signature_name = SIGNATURE
            request.inputs["input"].CopyFrom(tf.make_tensor_proto(inputs))
            response_bytes = predict.Predict(request, timeout=120).ByteSize()
            latencies = measure(predict.Predict, request, arguments.iterations, arguments.warmup)
            print_row("Predict", batch, latencies, response_bytes / 1e6)
            if answer is not None:
                empty = floor_request(request.ByteSize(), response_bytes)
                floor = measure(answer, empty, arguments.iterations, arguments.warmup)
                print_row("floor", batch, floor, response_bytes / 1e6)
    finally:
        channel.close()
        if floor_channel is not None:
            floor_channel.close()


def wait_for_floor(answer: Any, timeout: float) -> None:
    """Return once the floor server answers (a process of its own may not listen yet)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer(floor_request(8, 0), timeout=timeout)
            return
        except grpc.RpcError as error:
            if time.monotonic() > deadline:
                message = f"the floor server did not answer within {timeout:.0f} s"
                raise SystemExit(message) from error
            time.sleep(0.2)


if __name__ == "__main__":
    main(sys.argv[1:])

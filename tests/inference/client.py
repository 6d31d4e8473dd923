"""A real gRPC client of the inference server, and waiting for it to reach a state.

Tests talk to the server only through the ``tensorflow_serving`` and ``grpc_health``
stubs over a real channel, as the activation cache (or any TF Serving client) does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import tensorflow as tf
from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from services.inference.server import InferenceServer, build_server
from services.inference.settings import InferenceSettings

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
TIMEOUT = 60.0


@dataclass
class Client:
    """Stubs of every service the server offers, over one channel."""

    channel: Any
    predict: Any
    models: Any
    health: Any

    def health_status(self, service: str = "") -> int:
        request = health_pb2.HealthCheckRequest(service=service)
        return int(self.health.Check(request, timeout=TIMEOUT).status)

    def available_versions(self, name: str) -> list[int]:
        """AVAILABLE versions of ``name`` (empty when the server knows none)."""
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = name
        try:
            response = self.models.GetModelStatus(request, timeout=TIMEOUT)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return []
            raise
        available = get_model_status_pb2.ModelVersionStatus.AVAILABLE
        return sorted(s.version for s in response.model_version_status if s.state == available)


def connect(port: int) -> Client:
    options = [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ]
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=options)
    return Client(
        channel,
        prediction_service_pb2_grpc.PredictionServiceStub(channel),
        model_service_pb2_grpc.ModelServiceStub(channel),
        health_pb2_grpc.HealthStub(channel),
    )


def start_server(
    base_path: Path, poll_seconds: float = 0.2, **overrides: Any
) -> tuple[InferenceServer, int]:
    """A started server on a free port of 127.0.0.1 serving ``base_path``.

    ``overrides`` are further :class:`InferenceSettings` fields (limits, warm-up).
    """
    settings = InferenceSettings(
        inference_host="127.0.0.1",
        inference_port=0,
        model_base_path=base_path,
        inference_poll_seconds=poll_seconds,
        inference_workers=4,
        **overrides,
    )
    server, port = build_server(settings)
    server.start()
    return server, port


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Poll ``condition`` until it holds; the machine is shared, so be patient."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.1)


def predict_request(
    name: str,
    inputs: np.ndarray | None,
    *,
    signature: str = "",
    version: int | None = None,
    output_filter: Sequence[str] = (),
    input_key: str = "input",
) -> Any:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    if inputs is not None:
        request.inputs[input_key].CopyFrom(tf.make_tensor_proto(inputs))
    request.output_filter.extend(output_filter)
    return request


def outputs_of(response: Any) -> dict[str, np.ndarray]:
    return {alias: tf.make_ndarray(proto) for alias, proto in response.outputs.items()}


def images(count: int, size: int = 64, seed: int = 0) -> np.ndarray:
    """``count`` random RGB images in [0, 1], float32, as the model expects them."""
    rng = np.random.default_rng(seed)
    return rng.random((count, size, size, 3), dtype=np.float32)


def start_server_process(base_path: Path, **env: str) -> subprocess.Popen[str]:
    """``python -m services.inference`` over ``base_path`` on a free port of 127.0.0.1, as
    ``cnn101 run`` starts it (``env``: further ``CNN101_*`` variables); its stderr piped."""
    inherited = {k: v for k, v in os.environ.items() if k != "CNN101_INFERENCE_RUNTIME"}
    variables = {
        **inherited,
        "CNN101_MODEL_BASE_PATH": str(base_path),
        "CNN101_INFERENCE_HOST": "127.0.0.1",
        "CNN101_INFERENCE_PORT": "0",
        "CNN101_INFERENCE_GRACE_SECONDS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.inference"],
        env=variables,
        stderr=subprocess.PIPE,
        text=True,
    )


def listening_port(process: subprocess.Popen[str]) -> int:
    """The port the process says it listens on (read from its stderr)."""
    assert process.stderr is not None
    for line in process.stderr:
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if match:
            return int(match.group(1))
    raise AssertionError(f"the server exited ({process.poll()}) without saying where it listens")

"""The inference process: gRPC server, health, reflection, and the model-folder poller.

Run it with ``python -m services.inference.server`` (configuration: ``CNN101_*``, see
:mod:`services.inference.settings`). Health (``grpc.health.v1``) reports NOT_SERVING for
``""`` and ``tensorflow.serving.PredictionService`` until a version is loaded, so an
orchestrator sends no traffic to a server with nothing to serve. SIGTERM and SIGINT stop it
gracefully: NOT_SERVING first, then requests in flight get the grace period to finish.
Each version is warmed up (:mod:`services.inference.warmup`) before it counts as loaded.
"""

from __future__ import annotations

import logging
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from grpc_reflection.v1alpha import reflection  # type: ignore[import-untyped, unused-ignore]
from tensorflow_serving.apis import model_service_pb2, prediction_service_pb2

from services.common.allocator import keep_large_buffers
from services.inference.limits import PredictLimits
from services.inference.models import Servable, Warmup
from services.inference.poller import Poller
from services.inference.registry import ModelRegistry
from services.inference.servicer import PredictStats, add_servicers
from services.inference.settings import InferenceSettings
from services.inference.warmup import warm_up

logger = logging.getLogger(__name__)

PREDICTION_SERVICE = prediction_service_pb2.DESCRIPTOR.services_by_name[
    "PredictionService"
].full_name
MODEL_SERVICE = model_service_pb2.DESCRIPTOR.services_by_name["ModelService"].full_name
HEALTH_CHECKED = (health.OVERALL_HEALTH, PREDICTION_SERVICE)


class InferenceServer:
    """The gRPC server with the registry it serves and the poller that keeps it current;
    ``stats`` counts what its Predict calls computed."""

    def __init__(
        self,
        grpc_server: Any,
        registry: ModelRegistry,
        poller: Poller,
        health_servicer: Any,
        stats: PredictStats,
    ) -> None:
        self.grpc_server = grpc_server
        self.registry = registry
        self.poller = poller
        self.health = health_servicer
        self.stats = stats

    def start(self) -> None:
        """Accept requests now; versions are loaded by the poller, first scan at once."""
        self.grpc_server.start()
        self.poller.start()

    def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, stop polling, then give requests in flight ``grace`` seconds."""
        self.health.enter_graceful_shutdown()
        stopped = self.grpc_server.stop(grace)
        self.poller.stop(timeout=grace or 0.0)  # a load in progress is not waited for longer
        stopped.wait()

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        return bool(self.grpc_server.wait_for_termination(timeout))


def _set_health(health_servicer: Any, serving: bool) -> None:
    status = health_pb2.HealthCheckResponse
    for service in HEALTH_CHECKED:
        health_servicer.set(service, status.SERVING if serving else status.NOT_SERVING)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def build_server(settings: InferenceSettings | None = None) -> tuple[InferenceServer, int]:
    """A server bound to the configured address (port 0 picks a free one), not started yet.

    Returns the server and the port it is bound to.
    """
    settings = settings or InferenceSettings()
    health_servicer = health.HealthServicer()
    _set_health(health_servicer, serving=False)
    size = settings.inference_max_message_bytes
    limits = PredictLimits(
        max_batch=settings.inference_max_batch,
        max_batch_by_signature=dict(settings.inference_max_batch_by_signature),
        max_response_bytes=size,
        chunk_images=settings.inference_chunk_images,
    )

    def prepare(servable: Servable) -> Warmup:
        return warm_up(servable, limits)

    registry = ModelRegistry(
        settings.model_base_path,
        on_change=lambda serving: _set_health(health_servicer, serving),
        prepare=prepare if settings.inference_warmup else None,
        runtime=settings.inference_runtime,
    )
    stats = PredictStats()
    grpc_server = grpc.server(
        ThreadPoolExecutor(settings.inference_workers, thread_name_prefix="inference"),
        options=[("grpc.max_send_message_length", size), ("grpc.max_receive_message_length", size)],
    )
    add_servicers(grpc_server, registry, limits, stats)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, grpc_server)
    reflection.enable_server_reflection(
        (PREDICTION_SERVICE, MODEL_SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME),
        grpc_server,
    )
    port = int(
        grpc_server.add_insecure_port(_address(settings.inference_host, settings.inference_port))
    )
    if settings.inference_private_address:
        grpc_server.add_insecure_port(settings.inference_private_address)
    poller = Poller(registry.refresh, settings.inference_poll_seconds)
    return InferenceServer(grpc_server, registry, poller, health_servicer, stats), port


def wait_for_signal() -> int:
    """Block until SIGTERM or SIGINT; return which.

    The handler only appends to a list: anything that takes a lock (``Event.set``) could
    deadlock with the main thread it interrupts.
    """
    received: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: received.append(number))
    while not received:
        time.sleep(0.2)
    return received[0]


def main() -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    keep_large_buffers()  # before any response is built: the handler's 0.5 ms, not 2.5
    settings = InferenceSettings()
    server, port = build_server(settings)
    server.start()
    logger.info(
        "listening on %s, serving %s",
        _address(settings.inference_host, port),
        settings.model_base_path,
    )
    signum = wait_for_signal()
    logger.info(
        "%s received, stopping (grace %.1f s)",
        signal.Signals(signum).name,
        settings.inference_grace_seconds,
    )
    server.stop(settings.inference_grace_seconds)
    logger.info("stopped")


if __name__ == "__main__":
    main()

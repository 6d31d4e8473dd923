"""The whole serving path on loopback, built once for the serving tests.

The model is an untrained Tiny VGG exported by the test (fast, and its outputs are what
matters here); the examples come from the real data directory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from evaluation.app import create_app as create_evaluation_app
from evaluation.settings import EvaluationSettings
from services.activations.server import RunningServer
from services.activations.server import build_server as build_activation_server
from services.activations.settings import ActivationSettings
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.inference.server import InferenceServer
from services.inference.server import build_server as build_inference_server
from services.inference.settings import InferenceSettings
from services.pipeline.bundle import ModelBundle
from tests.exports import export_untrained
from tests.serving.stack import GatewayThread, LoopThread, RedisProcess, wait_until


@dataclass
class Stack:
    """Handles on every running part, so a test can stop and restart one."""

    base_path: Path
    bundle: ModelBundle
    redis: RedisProcess
    inference: InferenceServer
    inference_port: int
    loop: LoopThread
    activations: RunningServer
    gateway: GatewayThread
    prefix: str
    data_dir: Path
    evaluation: GatewayThread

    @property
    def activations_target(self) -> str:
        return f"127.0.0.1:{self.activations.port}"

    def restart_inference(self) -> None:
        self.inference, _ = build_inference_server(
            InferenceSettings(
                inference_port=self.inference_port,
                model_base_path=self.base_path,
                inference_poll_seconds=0.5,
            )
        )
        self.inference.start()
        wait_until(
            lambda: self.inference.registry.serving,
            "the restarted inference service serves tiny_vgg",
        )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("serving")
    base_path = root / "models"
    version_dir = export_untrained(base_path, "tiny_vgg", version=1, seed=11)
    redis_process = RedisProcess(root)
    redis_process.start()
    inference, inference_port = build_inference_server(
        InferenceSettings(inference_port=0, model_base_path=base_path, inference_poll_seconds=0.5)
    )
    inference.start()
    wait_until(lambda: inference.registry.serving, "inference serves tiny_vgg")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    evaluation = GatewayThread(
        create_evaluation_app(
            EvaluationSettings(
                evaluation_database_url=f"sqlite:///{root / 'evaluation.db'}",
                evaluation_bootstrap_instructor=None,
            )
        )
    )
    evaluation.start()
    loop = LoopThread()
    activations = loop.run(
        build_activation_server(
            ActivationSettings(
                activations_port=0,
                inference_target=f"127.0.0.1:{inference_port}",
                redis_url=redis_process.url,
                cache_prefix=prefix,
                cache_max_memory="256mb",
                model_base_path=base_path,
                data_dir=real_data_dir,
            )
        )
    )
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=f"127.0.0.1:{activations.port}",
                data_dir=real_data_dir,
                max_upload_bytes=2 * 1024 * 1024,
                max_upload_pixels=4_000_000,
                spa_dir=root / "no-spa",
                retry_after_seconds=3,
                evaluation_url=evaluation.url,
                broker_url=redis_process.url_for(1),
                result_backend=redis_process.url_for(1),
            )
        )
    )
    gateway.start()
    stack = Stack(
        base_path,
        ModelBundle.open(version_dir),
        redis_process,
        inference,
        inference_port,
        loop,
        activations,
        gateway,
        prefix,
        real_data_dir,
        evaluation,
    )
    yield stack
    gateway.stop()
    evaluation.stop()
    loop.run(stack.activations.stop(grace=0))
    loop.close()
    stack.inference.stop(grace=0)
    redis_process.stop()

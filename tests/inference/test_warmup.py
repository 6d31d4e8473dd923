"""Warm-up: each version's first requests are run by the server before anyone waits on them.

Export writes TF Serving's warm-up file (``assets.extra/tf_serving_warmup_requests``, a
TFRecord of ``PredictionLog``), one request of one image per signature; the server replays
it when it loads a version, before health says SERVING and before a newly polled version
is served, and warms a version without the file with a zero image per signature.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from grpc_health.v1 import health_pb2  # type: ignore[import-untyped, unused-ignore]
from tensorflow_serving.apis import get_model_status_pb2, prediction_log_pb2

from services.inference.server import InferenceServer
from services.inference.warmup import WARMUP_FILE, Warmup
from services.pipeline import export
from tests.exports import export_untrained
from tests.inference.client import (
    SERVING,
    Client,
    connect,
    images,
    predict_request,
    start_server,
    wait_until,
)
from tests.inference.conftest import Exported

SIGNATURES = {"serving_default", "activations"}


def warmup_records(version_dir: Path) -> list[Any]:
    path = version_dir / "assets.extra" / WARMUP_FILE
    return [
        prediction_log_pb2.PredictionLog.FromString(record.numpy())
        for record in tf.data.TFRecordDataset(str(path))
    ]


def write_records(version_dir: Path, requests: list[Any]) -> None:
    with tf.io.TFRecordWriter(str(version_dir / "assets.extra" / WARMUP_FILE)) as writer:
        for request in requests:
            log = prediction_log_pb2.PredictionLog()
            log.predict_log.request.CopyFrom(request)
            writer.write(log.SerializeToString())


def check_records(version_dir: Path, name: str, size: int) -> None:
    records = warmup_records(version_dir)
    assert [r.WhichOneof("log_type") for r in records] == ["predict_log"] * len(SIGNATURES)
    requests = [r.predict_log.request for r in records]
    assert {r.model_spec.signature_name for r in requests} == SIGNATURES
    for request in requests:
        assert request.model_spec.name == name
        assert list(request.inputs) == ["input"]
        image = tf.make_ndarray(request.inputs["input"])
        assert image.dtype == np.float32
        assert image.shape == (1, size, size, 3)


@pytest.fixture
def base(tmp_path: Path, exported: Exported) -> Path:
    """A fresh model folder holding a copy of ``tiny_vgg`` version 1."""
    base = tmp_path / "models"
    shutil.copytree(exported.base_path / "tiny_vgg" / "1", base / "tiny_vgg" / "1")
    return base


@pytest.fixture
def running(base: Path) -> Iterator[tuple[InferenceServer, Client]]:
    server, port = start_server(base)
    client = connect(port)
    yield server, client
    client.channel.close()
    server.stop(grace=0)


def warmup_when_serving(server: InferenceServer, client: Client) -> Warmup | None:
    """The warm-up of tiny_vgg version 1 as the server has recorded it at the moment the
    first SERVING reaches a health watcher."""
    updates = client.health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=120)
    assert next(u.status for u in updates if u.status == SERVING) == SERVING
    updates.cancel()
    return server.registry.warmup("tiny_vgg", 1)


def test_export_writes_one_warmup_request_per_signature(exported: Exported) -> None:
    assert export.WARMUP_FILE == WARMUP_FILE
    check_records(exported.base_path / "tiny_vgg" / "1", "tiny_vgg", 64)
    check_records(exported.base_path / "wide" / "1", "wide", 48)


def test_the_committed_model_carries_warmup_requests(project_root: Path) -> None:
    check_records(project_root / "models" / "tiny_vgg" / "1", "tiny_vgg", 64)


def test_the_warmup_file_is_replayed_before_serving(
    base: Path,
) -> None:
    requests = [
        predict_request("tiny_vgg", images(2)),
        predict_request("tiny_vgg", images(1), signature="activations"),
        predict_request("tiny_vgg", images(1), signature="activations", output_filter=["conv_1_1"]),
    ]
    write_records(base / "tiny_vgg" / "1", requests)
    server, port = start_server(base)
    client = connect(port)
    try:
        warmup = warmup_when_serving(server, client)
        assert warmup is not None
        assert (warmup.requests, warmup.source) == (3, WARMUP_FILE)
        assert server.stats.chunks_computed == 0  # warm-up is not a client's Predict
    finally:
        client.channel.close()
        server.stop(grace=0)


def test_a_version_without_the_file_is_warmed_with_zero_images(base: Path) -> None:
    (base / "tiny_vgg" / "1" / "assets.extra" / WARMUP_FILE).unlink()
    server, port = start_server(base)
    client = connect(port)
    try:
        warmup = warmup_when_serving(server, client)
        assert warmup is not None
        assert (warmup.requests, warmup.source) == (len(SIGNATURES), "zero images")
        response = client.predict.Predict(predict_request("tiny_vgg", images(1)), timeout=60)
        assert response.model_spec.version.value == 1
    finally:
        client.channel.close()
        server.stop(grace=0)


def test_a_new_version_is_warmed_up_before_it_is_served(
    running: tuple[InferenceServer, Client], base: Path
) -> None:
    server, client = running
    wait_until(lambda: client.health_status() == SERVING, "version 1 is served")
    export_untrained(base, "tiny_vgg", version=2, seed=1)
    wait_until(lambda: 2 in client.available_versions("tiny_vgg"), "version 2 is served")
    warmup = server.registry.warmup("tiny_vgg", 2)
    assert warmup is not None
    assert (warmup.requests, warmup.source) == (len(SIGNATURES), WARMUP_FILE)


def test_a_failing_warmup_request_fails_the_load_as_in_tf_serving(base: Path) -> None:
    write_records(base / "tiny_vgg" / "1", [predict_request("tiny_vgg", images(1, size=32))])
    export_untrained(base, "tiny_vgg", version=2, seed=1)
    server, port = start_server(base)
    client = connect(port)
    try:
        wait_until(lambda: client.health_status() == SERVING, "version 2 is served")
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = "tiny_vgg"
        statuses = client.models.GetModelStatus(request, timeout=60).model_version_status
        failed = {s.version: s.status.error_message for s in statuses if s.status.error_message}
        assert list(failed) == [1]
        assert "warm-up" in failed[1] and "[?, 64, 64, 3]" in failed[1]
        assert client.available_versions("tiny_vgg") == [2]
    finally:
        client.channel.close()
        server.stop(grace=0)


def test_warmup_can_be_turned_off(base: Path) -> None:
    server, port = start_server(base, inference_warmup=False)
    client = connect(port)
    try:
        wait_until(lambda: client.health_status() == SERVING, "the server serves")
        assert server.registry.warmup("tiny_vgg", 1) is None
    finally:
        client.channel.close()
        server.stop(grace=0)

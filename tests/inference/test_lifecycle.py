"""The server follows the model folder while it runs, reports its health, stops gracefully."""

from __future__ import annotations

import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2  # type: ignore[import-untyped, unused-ignore]
from tensorflow_serving.apis import get_model_status_pb2

from services.inference.registry import discover
from services.inference.server import InferenceServer
from tests.exports import export_untrained
from tests.inference.client import (
    NOT_SERVING,
    SERVING,
    Client,
    connect,
    images,
    listening_port,
    predict_request,
    start_server,
    start_server_process,
    wait_until,
)
from tests.inference.conftest import Exported

PREDICTION_SERVICE = "tensorflow.serving.PredictionService"


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[tuple[InferenceServer, Client, Path]]:
    base = tmp_path / "models"
    base.mkdir()
    server, port = start_server(base)
    client = connect(port)
    yield server, client, base
    client.channel.close()
    server.stop(grace=0)


def served_version(client: Client) -> int:
    response = client.predict.Predict(predict_request("tiny_vgg", images(1)), timeout=60)
    return int(response.model_spec.version.value)


def test_versions_come_and_go_with_their_folders(
    empty_server: tuple[InferenceServer, Client, Path],
) -> None:
    server, client, base = empty_server
    wait_until(lambda: server.poller.running, "the poller runs")
    for service in ("", PREDICTION_SERVICE):
        assert client.health_status(service) == NOT_SERVING
    assert client.available_versions("tiny_vgg") == []

    export_untrained(base, "tiny_vgg", version=1)
    wait_until(lambda: client.health_status() == SERVING, "the first version is served")
    assert client.health_status(PREDICTION_SERVICE) == SERVING
    assert served_version(client) == 1

    export_untrained(base, "tiny_vgg", version=2, seed=1)
    wait_until(lambda: client.available_versions("tiny_vgg") == [1, 2], "version 2 is loaded")
    assert served_version(client) == 2

    shutil.rmtree(base / "tiny_vgg" / "2")
    wait_until(lambda: client.available_versions("tiny_vgg") == [1], "version 2 is unloaded")
    assert served_version(client) == 1

    shutil.rmtree(base / "tiny_vgg" / "1")
    wait_until(lambda: client.health_status() == NOT_SERVING, "nothing is served any more")
    assert client.available_versions("tiny_vgg") == []


def test_a_broken_version_is_reported_and_does_not_stop_the_others(
    empty_server: tuple[InferenceServer, Client, Path],
) -> None:
    _, client, base = empty_server
    export_untrained(base, "tiny_vgg", version=1)
    broken = base / "tiny_vgg" / "2"
    broken.mkdir()
    (broken / "saved_model.pb").write_bytes(b"not a SavedModel")

    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "tiny_vgg"

    def states() -> dict[int, int]:
        response = client.models.GetModelStatus(request, timeout=60)
        return {s.version: s.state for s in response.model_version_status}

    status = get_model_status_pb2.ModelVersionStatus
    expected = {1: status.AVAILABLE, 2: status.END}
    wait_until(
        lambda: client.available_versions("tiny_vgg") == [1] and states() == expected,
        "the broken version is reported",
    )
    response = client.models.GetModelStatus(request, timeout=60)
    assert response.model_version_status[1].status.error_message
    assert served_version(client) == 1
    assert client.health_status() == SERVING


def test_only_integer_version_folders_with_a_saved_model_count(tmp_path: Path) -> None:
    for folder in ["tiny_vgg/1", "tiny_vgg/.2-x1y2", "tiny_vgg/latest", ".hidden/1", "other/3"]:
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "saved_model.pb").write_bytes(b"")
    (tmp_path / "other" / "4").mkdir()  # a version folder still being copied
    assert sorted(discover(tmp_path)) == [("other", 3), ("tiny_vgg", 1)]
    assert discover(tmp_path / "missing") == {}


def test_stop_reports_not_serving_then_refuses_requests(exported: Exported) -> None:
    server, port = start_server(exported.base_path)
    client = connect(port)
    request = health_pb2.HealthCheckRequest(service="")
    updates = client.health.Watch(request, timeout=60)
    assert next(s.status for s in updates if s.status == SERVING) == SERVING
    assert served_version(client) == 2

    stopping = threading.Thread(target=server.stop, kwargs={"grace": 3.0})
    stopping.start()
    assert next(updates).status == NOT_SERVING
    stopping.join(timeout=60)
    assert not stopping.is_alive()
    assert not server.poller.running
    with pytest.raises(grpc.RpcError) as raised:
        served_version(connect(port))
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    client.channel.close()


def test_sigterm_stops_the_process_gracefully(tmp_path: Path) -> None:
    process = start_server_process(tmp_path)
    try:
        client = connect(listening_port(process))
        assert client.health_status() == NOT_SERVING  # an empty folder serves nothing
        client.channel.close()
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert "SIGTERM received" in rest

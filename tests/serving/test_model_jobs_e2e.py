"""The model studio end to end: the studio service queues, a real model worker trains.

The worker is the process production runs (``model_worker_command``) on a real Redis
broker and PostgreSQL; the data set is a zip of synthetic shapes the test builds. A
trained version must appear on disk with its card and accuracy and be served, with both
signatures, by the real inference service watching the same folder; a cancelled job must
leave no version; progress must reach both the job row and the task's PROGRESS state.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import numpy as np
import pytest
import redis
from sqlalchemy import delete

from services.inference.server import InferenceServer
from services.inference.server import build_server as build_inference_server
from services.inference.settings import InferenceSettings
from services.pipeline.bundle import ModelBundle
from services.studio.job_queue import CeleryModelJobQueue
from services.studio.models import StudioDataset
from services.worker.app import model_worker_command
from tests.databases import PostgresDatabases, db_session
from tests.exports import export_untrained
from tests.numpy_cnn import forward
from tests.serving.stack import GatewayThread, RedisProcess, wait_until
from tests.studio.conftest import checked
from tests.studio_stack import signed_in_client, start_studio, start_study, studio_settings
from tests.studio_zips import shapes_zip

JOB_TIMEOUT = 420.0
PER_CLASS = 20


@dataclass
class Studio:
    client: httpx.Client
    teacher: httpx.Client
    base_path: Path
    database_url: str
    broker: RedisProcess
    inference: InferenceServer
    study: GatewayThread


def start_model_worker(
    broker_url: str, database_url: str, base_path: Path, log: IO[bytes]
) -> subprocess.Popen[bytes]:
    """The production command in a session of its own (so a test can kill all of it)."""
    env = os.environ | {
        "CNN101_BROKER_URL": broker_url,
        "CNN101_RESULT_BACKEND": broker_url,
        "CNN101_STUDIO_DATABASE_URL": database_url,
        "CNN101_MODEL_BASE_PATH": str(base_path),
        "CNN101_MODEL_JOB_CHECK_SECONDS": "0.2",
        "CNN101_MODEL_JOB_HEARTBEAT_SECONDS": "0.5",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",
    }
    return subprocess.Popen(
        ["nice", "-n", "10", *model_worker_command(sys.executable), "--loglevel", "INFO"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    root = tmp_path_factory.mktemp("studio")
    base_path = root / "models"
    export_untrained(base_path, "tiny_vgg", version=1, seed=3)
    broker = RedisProcess(root)
    broker.start()
    databases = PostgresDatabases()
    database_url = databases.create()
    study = start_study(database_url)
    server = start_studio(
        studio_settings(database_url, study.url, model_base_path=base_path),
        model_queue=CeleryModelJobQueue(broker.url_for(1)),
    )
    log = (root / "worker.log").open("wb")
    worker = start_model_worker(broker.url_for(1), database_url, base_path, log)
    inference, _ = build_inference_server(
        InferenceSettings(inference_port=0, model_base_path=base_path, inference_poll_seconds=0.5)
    )
    inference.start()
    client = httpx.Client(base_url=server.url, timeout=30)
    teacher = signed_in_client(study.url, database_url, server.url)
    try:
        yield Studio(client, teacher, base_path, database_url, broker, inference, study)
    finally:
        client.close()
        teacher.close()
        server.stop()
        study.stop()
        inference.stop(grace=0)
        worker.terminate()
        worker.wait(timeout=60)
        log.close()
        print((root / "worker.log").read_text()[-3000:])
        databases.drop_all()
        broker.stop()


def _wait_for_job(
    teacher: httpx.Client,
    job_id: str,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = JOB_TIMEOUT,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Poll the job as the dashboard does; return the last state and every state seen."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = teacher.get(f"/api/studio/jobs/{job_id}").json()
        seen.append(job)
        if done(job):
            return job, seen
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not get there in {timeout} s: {seen[-1]}")


def _finished(job: dict[str, Any]) -> bool:
    return job["status"] in ("succeeded", "failed", "cancelled")


def _upload(teacher: httpx.Client, data: bytes) -> str:
    response = teacher.post(
        "/api/studio/datasets", files={"file": ("shapes.zip", data, "application/zip")}
    )
    dataset = checked(teacher, response)  # checked off the studio's event loop, then ready
    assert dataset["status"] == "ready", dataset
    dataset_id: str = dataset["dataset_id"]
    return dataset_id


def _progress_epochs(listener: Any, task_id: str) -> list[int]:
    """The epochs of every PROGRESS state the result backend published for ``task_id``."""
    epochs: list[int] = []
    while (message := listener.get_message(timeout=1.0)) is not None:
        if message["type"] == "pmessage":
            body = json.loads(message["data"])
            if body["task_id"] == task_id and body["status"] == "PROGRESS":
                epochs.append(body["result"]["epoch"])
    return epochs


CONFIG: dict[str, Any] = {
    "blocks": 2,
    "convs_per_block": 1,
    "filters": 4,
    "kernel_size": 3,
    "input_size": 32,
}


def _assert_three_splits(training: dict[str, Any], card: str, accuracy: float) -> None:
    """The accuracy reported is the test split's, scored once after training; the
    selection split watched the run (the history's val_* figures)."""
    test = training["test"]
    assert test["top1"] == accuracy
    assert sum(sum(row) for row in test["confusion"]) == test["images"]
    assert training["train_images"] + training["val_images"] + test["images"] == 3 * PER_CLASS
    assert f"**{accuracy:.1%}** (95 % Wilson interval" in card


def test_a_variant_is_trained_on_a_custom_zip_and_served(studio: Studio) -> None:
    teacher = studio.teacher
    dataset = _upload(teacher, shapes_zip(per_class=PER_CLASS))
    listener = redis.Redis.from_url(studio.broker.url_for(1)).pubsub()
    listener.psubscribe("celery-task-meta-*")
    started = teacher.post(
        "/api/studio/models/train",
        json={**CONFIG, "name": "shapes_net", "title": "Shapes", "dataset": dataset, "epochs": 3},
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]

    job, seen = _wait_for_job(teacher, job_id, _finished)
    assert job["status"] == "succeeded", job
    # Progress events: the history grew one epoch at a time, with every metric.
    assert "running" in {s["status"] for s in seen}
    history = job["progress"]["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert job["progress"]["epoch"] == 3 and job["progress"]["epochs"] == 3
    for record in history:
        assert record["loss"] > 0 and 0 <= record["val_accuracy"] <= 1
    # ... and the task's PROGRESS state carried the same history, epoch after epoch.
    assert _progress_epochs(listener, job_id) == [1, 2, 3]

    result = job["result"]
    assert result["name"] == "shapes_net" and result["version"] == 1
    assert 0.0 <= result["accuracy"] <= 1.0
    version_dir = studio.base_path / "shapes_net" / "1"
    description = json.loads((version_dir / "assets.extra" / "model.json").read_text())
    assert description["training"]["accuracy"] == result["accuracy"]
    assert [c["name"] for c in description["classes"]] == ["circle", "square", "triangle"]
    assert description["input"]["shape"] == [32, 32, 3]
    card = (version_dir / "assets.extra" / "README.md").read_text()
    assert "Shapes" in card and "circle, square, triangle" in card
    _assert_three_splits(description["training"], card, result["accuracy"])

    listed = {m["name"]: m for m in teacher.get("/api/studio/models").json()["models"]}
    entry = listed["shapes_net"]
    assert entry["source"] == "trained" and entry["accuracy"] == result["accuracy"]
    assert entry["card"] == card and not entry["published"]
    students = studio.client.get("/api/studio/published").json()["models"]
    assert [m["name"] for m in students] == ["tiny_vgg"]
    assert teacher.put("/api/studio/models/shapes_net/published", json={"published": True}).json()[
        "published"
    ]
    students = studio.client.get("/api/studio/published").json()["models"]
    assert [m["name"] for m in students] == ["tiny_vgg", "shapes_net"]

    # The real inference service picks the new model up and runs both signatures.
    wait_until(
        lambda: any(
            s.version == 1 and s.error is None
            for s in studio.inference.registry.statuses("shapes_net")
        ),
        "inference serves shapes_net",
        timeout=60,
    )
    servable = studio.inference.registry.get("shapes_net", 1)
    batch = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    probabilities = servable.run("serving_default", {"input": batch})["probabilities"]
    assert probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    layers = servable.run("activations", {"input": batch})
    assert layers["conv_1_1"].shape == (2, 30, 30, 4)
    np.testing.assert_allclose(layers["softmax"], probabilities, rtol=1e-5)
    # What the browser loads (model.json + weights.bin) computes the same, in plain NumPy.
    bundle = ModelBundle.open(version_dir)
    reference = forward(bundle.description["layers"], bundle.weights(), batch)
    np.testing.assert_allclose(reference["softmax"], probabilities, atol=1e-5)


def test_a_cancelled_job_leaves_no_version_and_a_deleted_dataset_fails(studio: Studio) -> None:
    teacher = studio.teacher
    dataset = _upload(teacher, shapes_zip(per_class=20, seed=1))
    long_job = teacher.post(
        "/api/studio/models/train",
        json={**CONFIG, "name": "long_net", "dataset": dataset, "epochs": 60, "filters": 16},
    ).json()
    # Queued behind it (one job at a time): a job whose data set disappears meanwhile.
    orphan = teacher.post(
        "/api/studio/models/train",
        json={**CONFIG, "name": "orphan_net", "dataset": dataset, "epochs": 2},
    ).json()
    running, _ = _wait_for_job(
        teacher, long_job["job_id"], lambda j: len(j["progress"]["history"]) >= 1 or _finished(j)
    )
    assert running["status"] == "running", running
    with db_session(studio.database_url) as session:
        session.execute(delete(StudioDataset).where(StudioDataset.id == dataset))
        session.commit()
    cancel = teacher.post(f"/api/studio/jobs/{long_job['job_id']}/cancel")
    assert cancel.status_code == 202, cancel.text
    job, _ = _wait_for_job(teacher, long_job["job_id"], _finished, timeout=60)
    assert job["status"] == "cancelled", job
    assert job["result"] is None and len(job["progress"]["history"]) < 60
    model_dir = studio.base_path / "long_net"
    assert not model_dir.exists() or list(model_dir.iterdir()) == []

    failed, _ = _wait_for_job(teacher, orphan["job_id"], _finished)
    assert failed["status"] == "failed"
    assert f"the data set {dataset} was deleted" in failed["error"]
    assert not (studio.base_path / "orphan_net").exists()
    assert "long_net" not in {m["name"] for m in teacher.get("/api/studio/models").json()["models"]}


def _keras_file(path: Path) -> bytes:
    import keras

    model = keras.Sequential(
        [
            keras.Input((24, 24, 3)),
            keras.layers.Conv2D(3, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.save(path)
    return path.read_bytes()


def test_an_uploaded_keras_model_is_imported_by_the_worker(studio: Studio, tmp_path: Path) -> None:
    teacher = studio.teacher

    def send(name: str, filename: str, data: bytes) -> str:
        response = teacher.post(
            "/api/studio/models/import",
            data={"name": name, "title": "Their net", "classes": "cat\ndog\n"},
            files=[("files", (filename, data, "application/octet-stream"))],
        )
        assert response.status_code == 202, response.text
        job_id: str = response.json()["job_id"]
        return job_id

    good = send("their_net", "net.keras", _keras_file(tmp_path / "net.keras"))
    job, _ = _wait_for_job(teacher, good, _finished)
    assert job["status"] == "succeeded", job
    assert job["result"] == {"name": "their_net", "version": 1, "accuracy": None}
    entry = next(
        m for m in teacher.get("/api/studio/models").json()["models"] if m["name"] == "their_net"
    )
    assert entry["source"] == "imported" and entry["classes"] == ["cat", "dog"]

    # A file that is no model is refused at once, from its metadata (no job is queued).
    refused = teacher.post(
        "/api/studio/models/import",
        data={"name": "broken_net", "title": "Their net", "classes": "cat\ndog\n"},
        files=[("files", ("broken.keras", b"this is not a keras archive", "application/x"))],
    )
    assert refused.status_code == 400, refused.text
    message = refused.json()["error"]["message"]
    assert "not a Keras archive" in message and "Traceback" not in message
    assert not (studio.base_path / "broken_net").exists() or not any(
        p.name.isdigit() for p in (studio.base_path / "broken_net").iterdir()
    )


def test_a_worker_killed_mid_job_does_not_leave_it_running(studio: Studio, tmp_path: Path) -> None:
    """The whole worker killed (as by the OOM killer): the job ends failed, no version."""
    broker_url = studio.broker.url_for(2)  # its own queue: the module's worker stays out
    settings = studio_settings(
        studio.database_url,
        studio.study.url,
        model_base_path=studio.base_path,
        studio_stale_job_seconds=5,
    )
    server = start_studio(settings, model_queue=CeleryModelJobQueue(broker_url))
    teacher = signed_in_client(studio.study.url, studio.database_url, server.url)
    with (tmp_path / "killed-worker.log").open("wb") as log, teacher:
        worker = start_model_worker(broker_url, studio.database_url, studio.base_path, log)
        try:
            dataset = _upload(teacher, shapes_zip(per_class=20, seed=2))
            job_id = teacher.post(
                "/api/studio/models/train",
                json={**CONFIG, "name": "killed_net", "dataset": dataset, "epochs": 60},
            ).json()["job_id"]
            running, _ = _wait_for_job(
                teacher, job_id, lambda j: len(j["progress"]["history"]) >= 1 or _finished(j)
            )
            assert running["status"] == "running", running
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        job, _ = _wait_for_job(teacher, job_id, _finished, timeout=60)
    server.stop()
    assert job["status"] == "failed", job
    assert "stopped answering" in job["error"] and job["result"] is None
    model_dir = studio.base_path / "killed_net"
    assert not model_dir.exists() or not any(p.name.isdigit() for p in model_dir.iterdir())

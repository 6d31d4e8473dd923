"""The model studio's HTTP API on the real app and database (SQLite and PostgreSQL).

What is checked here is the studio service's side: the models folder read without
TensorFlow, publishing, data-set validation, job validation and bookkeeping, and who may
do what (sign-ins checked by a real study service). The queue is a recorder (the worker's
side runs for real in tests/serving/test_model_jobs_e2e.py).
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from services.common.jobs import JobKind
from services.database.engine import make_engine, make_session_factory
from services.studio.migrations import upgrade_database
from services.studio.models import ModelJob, StudioDataset
from services.worker.model_tasks import MAX_ATTEMPTS, claim_job
from tests.evaluation.conftest import FakeClock, db_session
from tests.studio.conftest import RecordingQueue, Studio, checked
from tests.studio_zips import shapes_zip


def _error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code, body
    message: str = body["error"]["message"]
    return message


def test_models_are_listed_from_the_folder_and_published_for_students(
    studio: Studio,
) -> None:
    # ``shapes`` was made before owners existed: only the admin publishes it.
    anonymous, teacher = studio.anonymous, studio.admin()
    _error(anonymous.get("/api/studio/models"), 401, "not_authenticated")
    listed = teacher.get("/api/studio/models").json()
    assert listed["default"] == "tiny_vgg"
    models = {m["name"]: m for m in listed["models"]}
    assert [m["name"] for m in listed["models"]] == ["tiny_vgg", "imported_net", "shapes"]
    assert models["shapes"]["versions"] == [1, 2] and models["shapes"]["latest"] == 2
    assert models["shapes"]["title"] == "Shapes v2" and models["shapes"]["accuracy"] == 0.9
    assert models["shapes"]["card"] == "# card of shapes 2\n"
    assert models["shapes"]["classes"] == ["cat", "dog"]
    assert models["tiny_vgg"]["source"] == "builtin" and models["tiny_vgg"]["published"]
    assert models["imported_net"]["source"] == "imported"
    assert models["imported_net"]["accuracy"] is None
    assert not models["shapes"]["published"]

    students = anonymous.get("/api/studio/published").json()
    assert [m["name"] for m in students["models"]] == ["tiny_vgg"]

    entry = teacher.put("/api/studio/models/shapes/published", json={"published": True})
    assert entry.status_code == 200 and entry.json()["published"] is True
    students = anonymous.get("/api/studio/published").json()
    assert [m["name"] for m in students["models"]] == ["tiny_vgg", "shapes"]
    assert students["models"][1] == {
        "name": "shapes",
        "title": "Shapes v2",
        "latest": 2,
        "classes": ["cat", "dog"],
        "accuracy": 0.9,
    }
    teacher.put("/api/studio/models/shapes/published", json={"published": False})
    assert [m["name"] for m in anonymous.get("/api/studio/published").json()["models"]] == [
        "tiny_vgg"
    ]

    _error(
        teacher.put("/api/studio/models/tiny_vgg/published", json={"published": False}),
        409,
        "default_model",
    )
    _error(
        teacher.put("/api/studio/models/nothere/published", json={"published": True}),
        404,
        "unknown_model",
    )
    _error(
        teacher.put("/api/studio/models/shapes/published", json={"published": "maybe"}),
        422,
        "invalid_request",
    )
    _error(
        anonymous.put("/api/studio/models/shapes/published", json={"published": True}),
        401,
        "not_authenticated",
    )


def _upload(client: httpx.Client, data: bytes, filename: str = "shapes.zip") -> Any:
    return client.post("/api/studio/datasets", files={"file": (filename, data, "application/zip")})


def test_a_valid_zip_is_stored_and_listed_for_its_instructor_only(
    studio: Studio,
) -> None:
    anonymous, teacher = studio.anonymous, studio.signed_in()
    _error(_upload(anonymous, shapes_zip(per_class=6)), 401, "not_authenticated")
    created = _upload(teacher, shapes_zip(per_class=6, root="my shapes/"))
    assert created.json()["status"] == "checking"
    body = checked(teacher, created)
    assert body["status"] == "ready" and body["error"] is None
    assert body["images"] == 18 and body["warnings"] == []
    assert body["classes"] == [
        {"name": "circle", "images": 6},
        {"name": "square", "images": 6},
        {"name": "triangle", "images": 6},
    ]
    listed = teacher.get("/api/studio/datasets").json()["datasets"]
    assert [d["dataset_id"] for d in listed] == [body["dataset_id"]]
    other = studio.signed_in()
    assert other.get("/api/studio/datasets").json()["datasets"] == []
    _error(other.get(f"/api/studio/datasets/{body['dataset_id']}"), 404, "unknown_dataset")
    # Another instructor cannot train on it either.
    config = {**GOOD_CONFIG, "dataset": body["dataset_id"]}
    _error(other.post("/api/studio/models/train", json=config), 404, "unknown_dataset")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _with(extra: dict[str, bytes], per_class: int = 6) -> bytes:
    return shapes_zip(per_class=per_class, extra=extra)


def _unsupported_compression() -> bytes:
    """A member whose compression method (99) no unzip implements, in both headers."""
    data = bytearray(shapes_zip(per_class=6))
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        position = data.find(signature)  # the first member's local and central header
        data[position + offset : position + offset + 2] = (99).to_bytes(2, "little")
    return bytes(data)


BAD_ZIPS = {
    "one class": (shapes_zip(per_class=6, classes=("circle",)), "1 class folder"),
    "empty folder": (_with({"empty/": b""}), "folder 'empty' holds 0 image"),
    "too few images": (shapes_zip(per_class=3), "folder 'circle' holds 3 image"),
    "not an image": (_with({"circle/notes.txt": b"hello"}), "'circle/notes.txt' is not an image"),
    "corrupt image": (_with({"square/broken.png": b"not a png"}), "'square/broken.png' cannot"),
    "traversal": (_with({"../evil/x.png": b"x"}), "must be relative"),
    "absolute": (_with({"/etc/x.png": b"x"}), "must be relative"),
    "too deep": (_with({"circle/deeper/x.png": b"x"}), "nested too deep"),
    "loose file": (_with({"x.png": b"x"}), "is not in a class folder"),
    "gif": (
        _with({"circle/anim.gif": b"GIF89a"}),
        "'circle/anim.gif' is not an image file",
    ),
    "not a zip": (b"PK but not really a zip archive", "not a zip archive"),
    "unknown compression": (_unsupported_compression(), "'circle/000.png' cannot be read"),
}


@pytest.mark.parametrize("case", list(BAD_ZIPS))
def test_a_bad_zip_is_refused_with_a_message_and_not_kept(studio: Studio, case: str) -> None:
    teacher, url = studio.signed_in(), studio.database_url
    data, expected = BAD_ZIPS[case]
    body = checked(teacher, _upload(teacher, data))
    assert body["status"] == "invalid" and expected in body["error"], body
    assert body["classes"] == [] and body["images"] == 0
    with db_session(url) as session:
        row = session.get(StudioDataset, body["dataset_id"])
        assert row is not None and row.archive == b""  # its bytes are not kept
    training = teacher.post(
        "/api/studio/models/train", json={**GOOD_CONFIG, "dataset": body["dataset_id"]}
    )
    _error(training, 409, "dataset_not_ready")


def test_a_too_large_zip_is_refused_with_413(studio: Studio) -> None:
    teacher, url = studio.signed_in(), studio.database_url
    rng_bytes = np.random.default_rng(0).bytes(210_000)
    big = _zip({"a/1.png": rng_bytes[:105_000], "b/1.png": rng_bytes[105_000:]})
    response = _upload(teacher, big)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "upload_too_large"
    with db_session(url) as session:
        assert (
            session.scalar(select(StudioDataset).where(StudioDataset.size_bytes > 200_000)) is None
        )
    assert teacher.get("/api/studio/datasets").json()["datasets"] == []


GOOD_CONFIG: dict[str, Any] = {
    "name": "small_net",
    "title": "A small net",
    "dataset": "builtin",
    "blocks": 2,
    "convs_per_block": 1,
    "filters": 4,
    "kernel_size": 3,
    "input_size": 32,
    "epochs": 2,
}

BAD_CONFIGS = [
    ({"name": "Bad Name"}, 422, "name"),
    ({"name": "x"}, 422, "name"),
    ({"blocks": 5}, 422, "blocks"),
    ({"blocks": 0}, 422, "blocks"),
    ({"convs_per_block": 4}, 422, "convs_per_block"),
    ({"filters": 1}, 422, "filters"),
    ({"filters": 33}, 422, "filters"),
    ({"kernel_size": 4}, 422, "kernel_size"),
    ({"input_size": 36}, 422, "input_size"),
    ({"input_size": 128}, 422, "input_size"),
    ({"epochs": 0}, 422, "epochs"),
    ({"epochs": 61}, 422, "epochs"),
    ({"dataset": "../etc"}, 422, "dataset"),
    ({"surprise": 1}, 422, "surprise"),
    ({"blocks": 4, "convs_per_block": 3, "kernel_size": 5}, 400, "blocks"),
    ({"blocks": 4, "convs_per_block": 1, "kernel_size": 5, "input_size": 32}, 400, "blocks"),
    ({"name": "tiny_vgg"}, 409, "name"),
    ({"dataset": "0" * 32}, 404, "dataset"),
]


@pytest.mark.parametrize(("change", "status", "field"), BAD_CONFIGS)
def test_a_bad_training_config_is_refused_naming_the_field(
    studio: Studio,
    queue: RecordingQueue,
    change: dict[str, Any],
    status: int,
    field: str,
) -> None:
    teacher = studio.signed_in()
    response = teacher.post("/api/studio/models/train", json={**GOOD_CONFIG, **change})
    assert response.status_code == status, response.text
    assert field in response.json()["error"]["message"]
    assert queue.sent == []
    assert teacher.get("/api/studio/jobs").json()["jobs"] == []


def _fresh_names(config: dict[str, Any], *others: str) -> tuple[Any, ...]:
    """``config`` under a name nobody has claimed yet, and fresh names for ``others``."""
    tag = uuid.uuid4().hex[:6]
    return ({**config, "name": f"{config['name']}_{tag}"}, *(f"{o}_{tag}" for o in others))


def test_training_jobs_are_queued_listed_and_cancelled(
    studio: Studio, queue: RecordingQueue, clock: FakeClock
) -> None:
    anonymous, teacher, url = studio.anonymous, studio.signed_in(), studio.database_url
    # Names of its own: on the shared database another test's instructor owns "small_net".
    good, other_name, third_name = _fresh_names(GOOD_CONFIG, "other", "third")
    _error(anonymous.post("/api/studio/models/train", json=good), 401, "not_authenticated")
    dataset = checked(teacher, _upload(teacher, shapes_zip(per_class=6)))["dataset_id"]
    response = teacher.post("/api/studio/models/train", json={**good, "dataset": dataset})
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued" and job["kind"] == "train" and job["name"] == good["name"]
    assert job["progress"] == {"epoch": 0, "epochs": 2, "history": []}
    assert job["config"]["classes"] == ["circle", "square", "triangle"]
    assert job["result"] is None and job["error"] is None and job["finished_at"] is None
    assert queue.sent == [(JobKind.TRAIN, job["job_id"])]

    # One job per model name at a time: two would race for the same version number.
    _error(teacher.post("/api/studio/models/train", json=good), 409, "job_in_progress")

    clock.advance(1)
    second = teacher.post("/api/studio/models/train", json={**good, "name": other_name})
    assert second.status_code == 202
    jobs = teacher.get("/api/studio/jobs").json()["jobs"]
    assert [j["job_id"] for j in jobs] == [second.json()["job_id"], job["job_id"]]
    assert teacher.get(f"/api/studio/jobs/{job['job_id']}").json() == job

    cancelled = teacher.post(f"/api/studio/jobs/{job['job_id']}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    _error(teacher.post(f"/api/studio/jobs/{job['job_id']}/cancel"), 409, "job_finished")
    _error(teacher.get(f"/api/studio/jobs/{'f' * 32}"), 404, "unknown_job")
    _error(teacher.get("/api/studio/jobs/not-an-id"), 422, "invalid_request")

    # A queue that cannot be reached: 503 and no job row left behind.
    queue.fail = True
    _error(
        teacher.post("/api/studio/models/train", json={**good, "name": third_name}),
        503,
        "queue_unavailable",
    )
    with db_session(url) as session:
        assert session.scalar(select(ModelJob).where(ModelJob.name == third_name)) is None


def test_a_running_job_with_a_silent_worker_is_reported_failed(
    studio: Studio, clock: FakeClock
) -> None:
    teacher, url = studio.signed_in(), studio.database_url
    (good,) = _fresh_names(GOOD_CONFIG)
    job_id = teacher.post("/api/studio/models/train", json=good).json()["job_id"]
    with db_session(url) as session:
        job = session.get(ModelJob, job_id)
        assert job is not None
        job.status, job.started_at, job.heartbeat_at = "running", clock.now, clock.now
        session.commit()
    clock.advance(60)
    assert teacher.get(f"/api/studio/jobs/{job_id}").json()["status"] == "running"
    running = teacher.post(f"/api/studio/jobs/{job_id}/cancel").json()
    assert running["status"] == "running"  # the worker ends it at its next check
    clock.advance(400)
    failed = teacher.get(f"/api/studio/jobs/{job_id}").json()
    assert failed["status"] == "failed" and "stopped answering" in failed["error"]


def test_a_redelivered_job_starts_over_then_fails_after_the_attempts(database_url: str) -> None:
    """What the worker does with a job delivered again after it died (acks_late)."""
    engine = make_engine(database_url)
    upgrade_database(engine)
    factory = make_session_factory(engine)
    job_id = uuid.uuid4().hex
    try:
        with factory() as session:
            session.add(
                ModelJob(
                    id=job_id,
                    kind="train",
                    name="redelivered",
                    status="queued",
                    config={},
                    progress={"epoch": 1, "epochs": 3, "history": [{"epoch": 1}]},
                )
            )
            session.commit()
        assert not claim_job(factory, job_id, "import")  # the wrong task: left alone
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert claim_job(factory, job_id, "train")
            with factory() as session:
                job = session.get(ModelJob, job_id)
                assert job is not None
                assert (job.status, job.attempts) == ("running", attempt)
                assert job.progress["history"] == []  # starts over
        assert not claim_job(factory, job_id, "train")
        with factory() as session:
            job = session.get(ModelJob, job_id)
            assert job is not None and job.status == "failed"
            assert "stopped during this job" in (job.error or "")
            session.delete(job)
            session.commit()
    finally:
        engine.dispose()


def tfjs_model_json(dense_units: int, declared_kernel: list[int] | None = None) -> bytes:
    """A minimal TensorFlow.js layers model (8x8 RGB, flatten, dense) as ``model.json``;
    its one shard holds the dense kernel and bias (192 x units + units float32)."""
    layers = [
        {"class_name": "InputLayer", "config": {"name": "input", "batch_shape": [None, 8, 8, 3]}},
        {"class_name": "Flatten", "config": {"name": "flatten"}},
        {
            "class_name": "Dense",
            "config": {"name": "scores", "units": dense_units, "activation": "softmax"},
        },
    ]
    weights = [
        {
            "name": "scores/kernel",
            "shape": declared_kernel or [192, dense_units],
            "dtype": "float32",
        },
        {"name": "scores/bias", "shape": [dense_units], "dtype": "float32"},
    ]
    document = {
        "modelTopology": {
            "class_name": "Sequential",
            "config": {"name": "theirs", "layers": layers},
        },
        "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": weights}],
    }
    return json.dumps(document).encode()


def test_import_uploads_are_checked_and_queued(
    studio: Studio, queue: RecordingQueue, clock: FakeClock
) -> None:
    teacher, url = studio.signed_in(), studio.database_url

    def send(name: str, files: list[tuple[str, bytes]], **form: str) -> Any:
        return teacher.post(
            "/api/studio/models/import",
            data={"name": name, **form},
            files=[
                ("files", (filename, data, "application/octet-stream")) for filename, data in files
            ],
        )

    message = _error(send("their_net", [("weights.exe", b"x")]), 400, "invalid_import")
    assert "weights.exe" in message
    _error(send("their_net", [("a.keras", b"x"), ("b.h5", b"y")]), 400, "invalid_import")
    _error(send("their_net", [("group1-shard1of1.bin", b"x")]), 400, "invalid_import")
    _error(send("Their Net", [("a.keras", b"x")]), 422, "invalid_request")
    _error(send("tiny_vgg", [("a.keras", b"x")]), 409, "default_model")
    assert queue.sent == []

    huge = tfjs_model_json(dense_units=2, declared_kernel=[16384, 16384])
    message = _error(
        send("their_net", [("model.json", huge), ("group1-shard1of1.bin", b"\0" * 1544)]),
        400,
        "invalid_import",
    )
    assert "268,435,456 values" in message
    assert queue.sent == []

    accepted = send(
        "their_net",
        [("model.json", tfjs_model_json(dense_units=2)), ("group1-shard1of1.bin", b"\0" * 1544)],
        title="Theirs",
        classes="cat\ndog\n",
    )
    assert accepted.status_code == 202, accepted.text
    job = accepted.json()
    assert job["kind"] == "import" and job["status"] == "queued"
    assert job["config"]["classes"] == ["cat", "dog"] and job["config"]["title"] == "Theirs"
    assert queue.sent == [(JobKind.IMPORT, job["job_id"])]
    with db_session(url) as session:
        stored = session.get(ModelJob, job["job_id"])
        assert stored is not None
        assert sorted(f.filename for f in stored.files) == ["group1-shard1of1.bin", "model.json"]

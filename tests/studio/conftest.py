"""Fixtures: the studio under uvicorn on a real database, beside a real study service
(:mod:`tests.studio_stack`), a models folder, and a queue that records what was sent."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from evaluation.auth import create_instructor
from evaluation.models import Instructor
from services.common.jobs import JobKind
from tests.databases import PASSWORD, FakeClock, db_session
from tests.serving.stack import GatewayThread
from tests.studio_stack import signed_in_client, start_studio, start_study, studio_settings


class RecordingQueue:
    """Stands in for the broker: records what was queued, or refuses when told to."""

    def __init__(self) -> None:
        self.sent: list[tuple[JobKind, str]] = []
        self.fail = False

    def enqueue(self, kind: JobKind, job_id: str) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.sent.append((kind, job_id))


def write_model(base: Path, name: str, version: int, **training: Any) -> Path:
    """A version folder as the exporter leaves it, as far as the catalogue reads it."""
    assets = base / name / str(version) / "assets.extra"
    assets.mkdir(parents=True)
    description = {
        "name": name,
        "version": version,
        "classes": [
            {"index": 0, "wnid": "a", "name": "cat"},
            {"index": 1, "wnid": "b", "name": "dog"},
        ],
        "training": training,
    }
    (assets / "model.json").write_text(json.dumps(description))
    (assets / "README.md").write_text(f"# card of {name} {version}\n")
    return assets.parent


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    base = tmp_path / "models"
    write_model(base, "tiny_vgg", 1, best_val_accuracy=0.78)
    write_model(base, "shapes", 1, accuracy=0.5, title="Shapes", source="trained")
    write_model(base, "shapes", 2, accuracy=0.9, title="Shapes v2", source="trained")
    write_model(base, "imported_net", 3, imported=True, title="Their net")
    (base / "shapes" / ".3-staging").mkdir()  # an export in progress: not a version
    (base / "empty_model").mkdir()
    return base


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def study_service(database_url: str) -> Iterator[GatewayThread]:
    server = start_study(database_url)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Studio:
    """The studio under test (under uvicorn): an anonymous client, a way to sign in."""

    anonymous: httpx.Client
    study_url: str
    database_url: str
    clients: list[httpx.Client] = field(default_factory=list)

    def signed_in(self) -> httpx.Client:
        """A client signed in (at the study service) as a fresh instructor."""
        client = signed_in_client(self.study_url, self.database_url, str(self.anonymous.base_url))
        self.clients.append(client)
        return client

    def admin(self) -> httpx.Client:
        """Signed in as the study's admin: the database's first instructor (made now if the
        database has none; on the shared PostgreSQL database, whoever a test made first)."""
        with db_session(self.database_url) as session:
            email = session.scalar(select(Instructor.email).where(Instructor.is_admin))
            if email is None:
                email = f"admin-{uuid.uuid4().hex[:6]}@school.example"
                create_instructor(session, email, PASSWORD)
        login = httpx.post(
            f"{self.study_url}/api/instructor/login", json={"email": email, "password": PASSWORD}
        )
        assert login.json()["role"] == "admin", login.text
        client = httpx.Client(base_url=self.anonymous.base_url, cookies=login.cookies, timeout=30)
        self.clients.append(client)
        return client


def checked(client: httpx.Client, uploaded: httpx.Response, timeout: float = 60) -> dict[str, Any]:
    """The data set of an upload (202) once its check has finished: ready or invalid."""
    assert uploaded.status_code == 202, uploaded.text
    dataset_id = uploaded.json()["dataset_id"]
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(f"/api/studio/datasets/{dataset_id}").json()
        if body["status"] != "checking":
            return body
        assert time.monotonic() < deadline, f"data set {dataset_id} still checking"
        time.sleep(0.1)


@pytest.fixture
def studio(
    database_url: str,
    study_service: GatewayThread,
    models_dir: Path,
    queue: RecordingQueue,
    clock: FakeClock,
) -> Iterator[Studio]:
    settings = studio_settings(
        database_url,
        study_service.url,
        model_base_path=models_dir,
        studio_max_zip_bytes=200_000,
        studio_min_images_per_class=5,
    )
    server = start_studio(settings, clock=clock, model_queue=queue)
    studio = Studio(httpx.Client(base_url=server.url, timeout=30), study_service.url, database_url)
    try:
        yield studio
    finally:
        for client in [studio.anonymous, *studio.clients]:
            client.close()
        server.stop()

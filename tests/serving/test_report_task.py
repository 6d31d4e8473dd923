"""The study report built by a real Celery worker on real Redis and PostgreSQL.

The worker process is the one production runs (``worker_command``); the evaluation app
queues the build over the broker, the worker reads and writes the study database, and
every progress step is observed on the result backend's publish channel, so none can be
missed however fast the build runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery import Celery
from fastapi.testclient import TestClient

from evaluation.app import create_app
from evaluation.models import StudyReport
from evaluation.report import CeleryReportQueue
from services.common.jobs import Queue, TaskName
from services.worker.app import worker_command
from tests.evaluation.closed_study import PLAN, run_closed_study
from tests.evaluation.conftest import (
    FakeClock,
    PostgresDatabases,
    db_session,
    instructor_client,
    make_settings,
)
from tests.serving.stack import RedisProcess, wait_until


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("report-redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def study_database() -> Iterator[str]:
    databases = PostgresDatabases()
    try:
        yield databases.create()
    finally:
        databases.drop_all()


@pytest.fixture(scope="module")
def worker(
    broker: RedisProcess, study_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    env = os.environ | {
        "CNN101_BROKER_URL": broker.url_for(1),
        "CNN101_RESULT_BACKEND": broker.url_for(1),
        "CNN101_REDIS_URL": broker.url,
        "CNN101_EVALUATION_DATABASE_URL": study_database,
        # No activation service here: the model watcher stays quiet for the test.
        "CNN101_VERSION_WATCH_SECONDS": "3600",
    }
    process = subprocess.Popen([*worker_command(sys.executable), "--loglevel", "WARNING"], env=env)
    yield process
    process.terminate()
    process.wait(timeout=30)


def _messages(channel: Any, task_id: str, deadline: float) -> list[dict[str, Any]]:
    """Every state the result backend published for ``task_id``, up to its final one."""
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        message = channel.get_message(timeout=1.0)
        if message is None or message["type"] != "pmessage":
            continue
        body = json.loads(message["data"])
        if body["task_id"] == task_id:
            seen.append(body)
            if body["status"] in {"SUCCESS", "FAILURE"}:
                break
    return seen


def test_the_worker_builds_the_report_with_progress(
    broker: RedisProcess, study_database: str, worker: subprocess.Popen[bytes]
) -> None:
    clock = FakeClock()
    app = create_app(make_settings(study_database), clock=clock)
    app.state.report_queue = CeleryReportQueue(broker.url_for(1))
    listener = redis.Redis.from_url(broker.url).pubsub()
    listener.psubscribe("celery-task-meta-*")  # before the build is queued: nothing missed
    with TestClient(app) as client:
        admin = instructor_client(client, study_database)
        study = run_closed_study(client, admin, clock, plan=PLAN[:6])
        base = f"/api/instructor/studies/{study['id']}"
        started = admin.post(f"{base}/report/build")
        assert started.status_code == 202, started.text
        build_id = started.json()["build_id"]

        messages = _messages(listener, build_id, time.monotonic() + 180)
        assert messages and messages[-1]["status"] == "SUCCESS", messages
        progress = [m["result"] for m in messages if m["status"] == "PROGRESS"]
        assert [p["percent"] for p in progress] == [10, 30, 60, 85, 100]
        assert all(p["done"] == p["percent"] and p["total"] == 100 for p in progress)
        assert progress[1]["step"] == "analysing outcomes"
        assert messages[-1]["result"] == {
            "study_id": study["id"],
            "build_id": build_id,
            "status": "done",
        }

        status = admin.get(f"{base}/report").json()
        assert (status["status"], status["percent"]) == ("done", 100)
        page = admin.get(status["html_url"])
        assert page.status_code == 200 and page.text.count("<svg") == 4
        with db_session(study_database) as session:
            row = session.get(StudyReport, study["id"])
            assert row is not None
            finished = row.finished_at

        # The same build delivered again (a lost acknowledgement): done, not rebuilt.
        sender = Celery("cnn101-test", broker=broker.url_for(1), backend=broker.url_for(1))
        again = sender.send_task(
            TaskName.BUILD_STUDY_REPORT, args=[study["id"], build_id], queue=Queue.REPORTS
        )
        assert again.get(timeout=120)["status"] == "done"
        with db_session(study_database) as session:
            row = session.get(StudyReport, study["id"])
            assert row is not None and row.finished_at == finished
    listener.close()
    wait_until(lambda: worker.poll() is None, "the worker is still running")

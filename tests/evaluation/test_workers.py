"""The study service in several worker processes: one preparation, shared login counts.

A class's quiz answers need more than one core on PostgreSQL (docs/sizing.md), so the study
service can run ``CNN101_EVALUATION_WORKERS`` uvicorn workers. The master migrates and
seeds once; the workers count failed logins in one Redis, or each would allow five tries.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evaluation.login_guard import FAILURES, LoginGuard
from evaluation.models import Item
from evaluation.settings import EvaluationSettings
from services.common.errors import ApiError
from services.database.engine import make_engine
from tests.process_tree import comm, uvicorn_workers
from tests.serving.stack import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_several_workers_need_a_shared_store_for_the_login_counts() -> None:
    with pytest.raises(ValidationError, match="CNN101_EVALUATION_LIMITS_STORAGE"):
        EvaluationSettings(evaluation_workers=2)
    shared = EvaluationSettings(evaluation_workers=2, evaluation_limits_storage=REDIS_URL)
    assert shared.evaluation_workers == 2
    assert EvaluationSettings().evaluation_workers == 1  # alone, it has no shared store


def test_failed_logins_counted_by_one_worker_hold_in_the_other() -> None:
    first, second = (LoginGuard(storage_uri=REDIS_URL) for _ in range(2))
    client, email = f"10.0.0.{uuid.uuid4().int % 250}", f"{uuid.uuid4().hex}@example.org"
    for attempt in range(FAILURES.amount):
        (first if attempt % 2 else second).admit(client, email)
        (first if attempt % 2 else second).record_failure(client, email)
    for guard in (first, second):
        with pytest.raises(ApiError) as refused:
            guard.admit(client, email)
        assert refused.value.status_code == 429
    # A guard with its own memory (one worker alone) has not seen them: the store is shared.
    LoginGuard().admit(client, email)


def test_two_workers_serve_one_prepared_database(tmp_path: Path) -> None:
    """The master migrates and seeds once (two workers seeding together would race on the
    item bank's unique keys), then both serve; both end with the master."""
    database = tmp_path / "study.db"
    port = free_port()
    env = os.environ | {
        "CNN101_EVALUATION_PORT": str(port),
        "CNN101_EVALUATION_WORKERS": "2",
        "CNN101_EVALUATION_LIMITS_STORAGE": REDIS_URL,
        "CNN101_EVALUATION_DATABASE_URL": f"sqlite:///{database}",
        "CNN101_EVALUATION_SECRET_KEY_FILE": str(tmp_path / "key"),
        "CNN101_EVALUATION_BOOTSTRAP_INSTRUCTOR": "",
    }
    master = subprocess.Popen(
        [sys.executable, "-m", "evaluation.app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while time.monotonic() < deadline:
            workers = uvicorn_workers(master.pid)
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                if health.status_code == 200 and len(workers) == 2:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError(f"the study service did not start 2 workers: {workers}")
        # Requests on new connections are shared among the workers; every one is answered.
        statuses = {
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code for _ in range(20)
        }
        assert statuses == {200}
        engine = make_engine(f"sqlite:///{database}")
        with Session(engine) as session:
            items = session.scalar(select(func.count()).select_from(Item))
        engine.dispose()
        assert items and items > 0
        assert (tmp_path / "key").is_file()
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=30)
        deadline = time.monotonic() + 15
        while any(comm(worker) for worker in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(comm(worker) for worker in workers)
    finally:
        if master.poll() is None:
            master.kill()
            master.wait(timeout=10)

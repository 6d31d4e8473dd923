"""The study report task: a thin wrapper over :func:`evaluation.report.run_report_build`.

Progress goes two ways: into the ``study_report`` row (what the instructor's page polls)
and into the task's ``PROGRESS`` state with ``{"percent", "step", "done", "total"}`` (what
``GET /api/tasks/{id}`` on the gateway shows). The task is idempotent: a build already
done or superseded by a newer request is not redone.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from celery import Task
from sqlalchemy.exc import OperationalError

from evaluation.report import run_report_build
from services.common.jobs import Queue, TaskName
from services.database.engine import SessionFactory, make_engine, make_session_factory
from services.worker.app import app
from services.worker.settings import WorkerSettings

RETRY_SECONDS = 5
MAX_RETRIES = 12


@cache
def _session_factory(url: str) -> SessionFactory:
    """One engine per worker process, made on first use (after the pool has forked)."""
    return make_session_factory(make_engine(url))


@app.task(bind=True, name=TaskName.BUILD_STUDY_REPORT, queue=Queue.REPORTS, acks_late=True)
def build_study_report_task(self: Task, study_id: int, build_id: str) -> dict[str, Any]:
    """Build the report ``build_id`` of study ``study_id`` and store it with the study."""
    settings: WorkerSettings = app.conf.cnn101_settings

    def progress(percent: int, step: str) -> None:
        meta = {"percent": percent, "step": step, "done": percent, "total": 100}
        self.update_state(state="PROGRESS", meta=meta)

    try:
        status = run_report_build(
            _session_factory(settings.evaluation_database_url), study_id, build_id, progress
        )
    except OperationalError as error:
        # The database unreachable is worth waiting for; any other error is a real failure.
        raise self.retry(exc=error, countdown=RETRY_SECONDS, max_retries=MAX_RETRIES) from error
    return {"study_id": study_id, "build_id": build_id, "status": status}

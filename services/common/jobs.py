"""The contract of the background jobs: queues, task names, arguments, job statuses.

Services send tasks by name (:class:`TaskSender`) and never import the worker; the worker
registers its tasks under the same names (:mod:`services.worker`). A task's arguments are
small JSON (ids), listed here once so sender and worker cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from celery import Celery
from celery.result import AsyncResult


class Queue(StrEnum):
    """Celery queues; each worker process consumes the ones its role needs."""

    WARM = "warm"  # warming example bundles of a model version
    REPORTS = "reports"  # building study reports
    MODELS = "models"  # training and importing models (minutes long, with TensorFlow)
    DEFAULT = "celery"  # the version watcher's periodic task


class TaskName(StrEnum):
    WARM_EXAMPLES = "cnn101.warm_examples"  # (model_name: str, version: int)
    WATCH_MODEL_VERSIONS = "cnn101.watch_model_versions"  # ()
    BUILD_STUDY_REPORT = "cnn101.build_study_report"  # (study_id: int, build_id: str)
    TRAIN_VARIANT = "cnn101.train_variant"  # (job_id: str)
    IMPORT_MODEL = "cnn101.import_model"  # (job_id: str)


TASK_QUEUES: dict[TaskName, Queue] = {
    TaskName.WARM_EXAMPLES: Queue.WARM,
    TaskName.WATCH_MODEL_VERSIONS: Queue.DEFAULT,
    TaskName.BUILD_STUDY_REPORT: Queue.REPORTS,
    TaskName.TRAIN_VARIANT: Queue.MODELS,
    TaskName.IMPORT_MODEL: Queue.MODELS,
}


class JobKind(StrEnum):
    """What a model-studio job does."""

    TRAIN = "train"
    IMPORT = "import"


class JobStatus(StrEnum):
    """A model-studio job's life: queued -> running -> one of the finished states."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


UNFINISHED_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED_JOB_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
JOB_KIND_TASKS = {JobKind.TRAIN: TaskName.TRAIN_VARIANT, JobKind.IMPORT: TaskName.IMPORT_MODEL}

# Sending waits briefly for a broker that blinked, then gives up so the caller can say 503.
SEND_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}


def configure_celery(app: Celery) -> None:
    """JSON only, late acknowledgement, the queue of every task: for senders and workers."""
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_track_started=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        result_expires=24 * 3600,
        task_routes={name.value: {"queue": queue.value} for name, queue in TASK_QUEUES.items()},
    )


class TaskSender:
    """Sends tasks by name to the broker, and reads their state; no worker code needed."""

    def __init__(self, broker_url: str, result_backend: str | None = None) -> None:
        self.celery = Celery("cnn101", broker=broker_url, backend=result_backend)
        configure_celery(self.celery)

    def send(self, task: TaskName, args: list[Any], task_id: str | None = None) -> str:
        """Queue ``task`` on its queue; returns the task id. Raises when the broker is away."""
        result = self.celery.send_task(
            task.value,
            args=args,
            task_id=task_id,
            queue=TASK_QUEUES[task].value,
            retry_policy=SEND_RETRY_POLICY,
        )
        return str(result.id)

    def result(self, task_id: str) -> AsyncResult:
        return AsyncResult(task_id, app=self.celery)

    def close(self) -> None:
        self.celery.close()

"""The Celery application: Redis broker, JSON only, tasks on named queues.

Run a worker as ``celery -A services.worker.app worker -Q warm,reports,celery``, the
scheduler that sends the version watcher as a process of its own (:func:`beat_command`,
services/worker/beat.py), and the model studio's worker (training and imports, minutes
long, with TensorFlow) as a third process on the ``models`` queue
(:func:`model_worker_command`), so a training never delays a warm-up. Each is supervised
and restarted on its own.
"""

from __future__ import annotations

from celery import Celery

from services.common.jobs import Queue, TaskName, configure_celery
from services.worker.beat import MAX_LOOP_SECONDS
from services.worker.settings import WorkerSettings

# The queues of the general worker (warm-ups, reports, the version watcher).
GENERAL_QUEUES = (Queue.WARM, Queue.REPORTS, Queue.DEFAULT)


def worker_command(python: str) -> list[str]:
    """The command that runs the general worker (runner, compose, Kubernetes, tests)."""
    return [
        python,
        "-m",
        "celery",
        "-A",
        "services.worker.app",
        "worker",
        "-Q",
        ",".join(queue.value for queue in GENERAL_QUEUES),
        "--concurrency",
        "1",
    ]


def beat_command(python: str, schedule_file: str) -> list[str]:
    """The scheduler, with the heartbeat its liveness probe reads (services/worker/beat.py)."""
    return [
        python,
        "-m",
        "celery",
        "-A",
        "services.worker.app",
        "beat",
        "--scheduler",
        "services.worker.beat:HeartbeatScheduler",
        "--schedule",
        schedule_file,
        "--max-interval",
        str(MAX_LOOP_SECONDS),
    ]


def model_worker_command(python: str) -> list[str]:
    """The model studio's worker: one job at a time on the ``models`` queue, its own name."""
    return [
        python,
        "-m",
        "celery",
        "-A",
        "services.worker.app",
        "worker",
        "-Q",
        Queue.MODELS.value,
        "--concurrency",
        "1",
        "--hostname",
        "models@%h",
    ]


def create_celery(settings: WorkerSettings | None = None) -> Celery:
    settings = settings or WorkerSettings()
    app = Celery("cnn101", broker=settings.broker_url, backend=settings.result_backend)
    configure_celery(app)
    app.conf.beat_schedule = {
        "watch-model-versions": {
            "task": TaskName.WATCH_MODEL_VERSIONS.value,
            "schedule": settings.version_watch_seconds,
        }
    }
    app.conf.cnn101_settings = settings
    return app


app = create_celery()

# Imported for their effect: they register the tasks on `app`.
import services.worker.model_tasks  # noqa: E402
import services.worker.report_tasks  # noqa: E402
import services.worker.tasks  # noqa: E402, F401

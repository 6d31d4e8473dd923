"""The Celery application: Redis broker, JSON only, tasks on named queues.

Run a worker (with the embedded scheduler that watches for new model versions) as
``celery -A services.worker.app worker -B -Q warm,reports,celery``, and the model studio's
worker (training and imports, minutes long, with TensorFlow) as a second process on the
``models`` queue (:func:`model_worker_command`), so a training never delays a warm-up.
"""

from __future__ import annotations

from celery import Celery

from services.worker.settings import WorkerSettings

WARM_QUEUE = "warm"
REPORT_QUEUE = "reports"  # evaluation.report.REPORT_QUEUE, which the sender uses
MODELS_QUEUE = "models"  # evaluation.routes.models.MODELS_QUEUE, which the sender uses


def worker_command(python: str, schedule_file: str) -> list[str]:
    """The command that runs a worker with its version-watching scheduler (runner, tests)."""
    return [
        python,
        "-m",
        "celery",
        "-A",
        "services.worker.app",
        "worker",
        "-B",
        "-Q",
        f"{WARM_QUEUE},{REPORT_QUEUE},celery",
        "--concurrency",
        "1",
        "--schedule",
        schedule_file,
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
        MODELS_QUEUE,
        "--concurrency",
        "1",
        "--hostname",
        "models@%h",
    ]


def create_celery(settings: WorkerSettings | None = None) -> Celery:
    settings = settings or WorkerSettings()
    app = Celery("cnn101", broker=settings.broker_url, backend=settings.result_backend)
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
        task_routes={
            "cnn101.warm_examples": {"queue": WARM_QUEUE},
            "cnn101.build_study_report": {"queue": REPORT_QUEUE},
            "cnn101.train_variant": {"queue": MODELS_QUEUE},
            "cnn101.import_model": {"queue": MODELS_QUEUE},
        },
        beat_schedule={
            "watch-model-versions": {
                "task": "cnn101.watch_model_versions",
                "schedule": settings.version_watch_seconds,
            }
        },
    )
    app.conf.cnn101_settings = settings
    return app


app = create_celery()

# Imported for their effect: they register the tasks on `app`.
import services.worker.model_tasks  # noqa: E402
import services.worker.report_tasks  # noqa: E402
import services.worker.tasks  # noqa: E402, F401

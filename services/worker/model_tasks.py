"""The model studio's tasks on the ``models`` queue: train a variant, import a model.

The job row (``model_job``, written by the studio service (``services.studio``)) is the record the
instructor's page polls: the task moves it ``queued`` -> ``running`` -> ``succeeded`` /
``failed`` / ``cancelled``, appends each epoch to its history (also sent as the task's
``PROGRESS`` state), and writes a heartbeat while it works. Cancelling sets a flag the
training loop reads every ``CNN101_MODEL_JOB_CHECK_SECONDS``; it stops before anything is
exported, so no half version appears.

A worker killed mid-job leaves its message unacknowledged (``acks_late`` with
``reject_on_worker_lost``), so the job is delivered again and starts over from the
beginning (training is seeded); after ``MAX_ATTEMPTS`` deliveries it is failed. The
studio service fails a running job whose heartbeat stopped, should no redelivery come.

TensorFlow is imported inside the tasks only: the warm-up worker registers them too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from celery import Task
from sqlalchemy import select

from services.common.jobs import FINISHED_JOB_STATUSES, JobStatus, Queue, TaskName
from services.database.engine import SessionFactory, make_engine, make_session_factory
from services.database.schema import utcnow
from services.pipeline.classes import CNN101_CLASSES, ImageClass
from services.pipeline.custom_data import (
    DatasetLimits,
    InvalidDatasetError,
    load_zip,
    stratified_split,
)
from services.pipeline.data import DataDirectoryError, LabelledImages
from services.studio.models import ModelJob, StudioDataset
from services.worker.app import app
from services.worker.settings import WorkerSettings

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 2
# An instructor's own images: a fifth of each class is the test split (scored once, after
# export); of the rest, 15 % is the selection split that watches the run (and chooses when
# the recipe does); the remainder trains.
TEST_FRACTION = 0.2
SELECTION_FRACTION = 0.15
# The upload was validated with the service's limits; here only the layout matters.
LOADING_LIMITS = DatasetLimits(
    max_zip_bytes=2**40,
    max_uncompressed_bytes=2**40,
    max_files=10**7,
    max_classes=10**4,
    min_images_per_class=1,
    max_images_per_class=10**7,
    max_image_pixels=2**31,
)
Clock = Callable[[], datetime]


def unexpected_failure(what: str, job_id: str, error: Exception) -> str:
    """What the instructor reads of a failure nobody foresaw: no exception text (it may name
    files, hosts or library internals), the kind of error and where the details are."""
    return (
        f"the {what} stopped on an unexpected error ({type(error).__name__}); nothing was "
        f"exported; the model worker's log has the details under job {job_id}"
    )


class JobFailedError(Exception):
    """Ends the job ``failed`` with this message for the instructor."""


@cache
def _session_factory(url: str) -> SessionFactory:
    """One engine per worker process, made on first use (after the pool has forked)."""
    return make_session_factory(make_engine(url))


def _settings() -> WorkerSettings:
    settings: WorkerSettings = app.conf.cnn101_settings
    return settings


def claim_job(factory: SessionFactory, job_id: str, kind: str, now: Clock = utcnow) -> bool:
    """Mark the job running for this delivery; False when there is nothing (more) to do.

    A finished job is left alone (a duplicate or late delivery); a queued job cancelled
    meanwhile stays cancelled; a job already ``running`` is a redelivery after a worker
    died and starts over, until ``MAX_ATTEMPTS``.
    """
    with factory() as session:
        job = session.scalar(select(ModelJob).where(ModelJob.id == job_id).with_for_update())
        if job is None or job.kind != kind:
            logger.warning("model job %s (%s) not found; skipped", job_id, kind)
            return False
        if job.status in FINISHED_JOB_STATUSES:
            return False
        if job.cancel_requested:
            job.status, job.finished_at = JobStatus.CANCELLED, now()
            session.commit()
            return False
        job.attempts += 1
        if job.attempts > MAX_ATTEMPTS:
            job.status, job.finished_at = JobStatus.FAILED, now()
            job.error = (
                f"the model worker stopped during this job {job.attempts - 1} times "
                "(out of memory?); nothing was exported"
            )
            session.commit()
            return False
        job.status, job.started_at, job.heartbeat_at = JobStatus.RUNNING, now(), now()
        job.progress = {**job.progress, "epoch": 0, "history": []}
        job.error = None
        session.commit()
        return True


def finish_job(
    factory: SessionFactory,
    job_id: str,
    status: str,
    *,
    error: str | None = None,
    result: dict[str, Any] | None = None,
    now: Clock = utcnow,
) -> None:
    with factory() as session:
        job = session.get(ModelJob, job_id)
        if job is None:
            return
        job.status, job.error, job.result, job.finished_at = status, error, result, now()
        session.commit()


class Heartbeat:
    """Writes the job's ``heartbeat_at`` every ``seconds`` from a thread, while the job runs.

    A thread, not the training loop, so loading data, building the graph and exporting
    (seconds to minutes without a batch) still show the job alive; a killed worker stops
    it, which is how the studio service tells a dead job from a slow one.
    """

    def __init__(self, factory: SessionFactory, job_id: str, seconds: float) -> None:
        self.factory = factory
        self.job_id = job_id
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                with self.factory() as session:
                    job = session.get(ModelJob, self.job_id)
                    if job is None or job.status != JobStatus.RUNNING:
                        return
                    job.heartbeat_at = utcnow()
                    session.commit()
            except Exception:  # the database away for a moment: try again next beat
                logger.warning("heartbeat of model job %s not written", self.job_id)


class JobMonitor:
    """The training loop's link to the job row: history and cancel flag."""

    def __init__(
        self,
        factory: SessionFactory,
        job_id: str,
        check_seconds: float,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.factory = factory
        self.job_id = job_id
        self.check_seconds = check_seconds
        self.on_progress = on_progress
        self._last_check = 0.0
        self._cancelled = False

    def should_stop(self) -> bool:
        """Read the cancel flag at most every ``check_seconds``."""
        if self._cancelled:
            return True
        if time.monotonic() - self._last_check < self.check_seconds:
            return False
        self._last_check = time.monotonic()
        with self.factory() as session:
            job = session.get(ModelJob, self.job_id)
            if job is None or job.cancel_requested or job.status != JobStatus.RUNNING:
                self._cancelled = True
                return True
        return False

    def on_epoch(self, epoch: int, epochs: int, logs: dict[str, float]) -> None:
        record = {
            "epoch": epoch,
            "loss": logs.get("loss", 0.0),
            "accuracy": logs.get("accuracy", 0.0),
            "val_loss": logs.get("val_loss", 0.0),
            "val_accuracy": logs.get("val_accuracy", 0.0),
        }
        with self.factory() as session:
            job = session.get(ModelJob, self.job_id)
            if job is None:
                return
            history = [*job.progress.get("history", []), record]
            job.progress = {"epoch": epoch, "epochs": epochs, "history": history}
            job.heartbeat_at = utcnow()
            session.commit()
            progress = job.progress
        if self.on_progress is not None:
            self.on_progress(progress)


@dataclass(frozen=True)
class TrainingData:
    """The three splits of a studio job's images, its classes and a description of them."""

    train: LabelledImages
    selection: LabelledImages
    test: LabelledImages
    classes: tuple[ImageClass, ...]
    description: str


def load_training_data(
    factory: SessionFactory, settings: WorkerSettings, config: dict[str, Any]
) -> TrainingData:
    """Train, selection and test images (see :data:`TEST_FRACTION`) of the job's data set.

    The built-in set keeps the command line's protocol: the selection split is carved
    from the training images, and the validation folder is the test split.
    """
    size = int(config["input_size"])
    if config["dataset"] == "builtin":
        from services.pipeline.data import (
            load_train,
            load_validation,
            selection_per_class,
            split_selection,
        )

        try:
            images = load_train(settings.data_dir, CNN101_CLASSES, size)
            test = load_validation(settings.data_dir, CNN101_CLASSES, size)
        except DataDirectoryError as error:
            raise JobFailedError(f"the built-in data set cannot be read: {error}") from None
        train, selection = split_selection(images, selection_per_class(images))
        return TrainingData(
            train, selection, test, CNN101_CLASSES, "Tiny ImageNet, the ten classes of CNN 101"
        )
    with factory() as session:
        dataset = session.get(StudioDataset, config["dataset"])
        if dataset is None:
            raise JobFailedError(
                f"the data set {config['dataset']} was deleted; upload it again and retrain"
            )
        archive, filename = dataset.archive, dataset.filename
    try:
        images, classes = load_zip(archive, size, LOADING_LIMITS)
    except InvalidDatasetError as error:
        raise JobFailedError(f"the data set cannot be read: {error}") from None
    rest, test = stratified_split(images, TEST_FRACTION, seed=0)
    train, selection = stratified_split(rest, SELECTION_FRACTION, seed=1)
    description = f"the instructor's images ({filename}, {len(images)} images)"
    return TrainingData(train, selection, test, classes, description)


def run_training(
    factory: SessionFactory, settings: WorkerSettings, job_id: str, task: Task | None
) -> str:
    """The whole training job for one delivery; returns the status it ended in."""
    from services.pipeline.architecture import Architecture
    from services.pipeline.variants import TrainingCancelledError, train_variant

    if not claim_job(factory, job_id, "train"):
        return "skipped"
    with factory() as session:
        job = session.get(ModelJob, job_id)
        assert job is not None
        config, name = dict(job.config), job.name

    def report(progress: dict[str, Any]) -> None:
        if task is not None and task.request.id:
            task.update_state(state="PROGRESS", meta=progress)

    monitor = JobMonitor(factory, job_id, settings.model_job_check_seconds, report)
    try:
        with Heartbeat(factory, job_id, settings.model_job_heartbeat_seconds):
            data = load_training_data(factory, settings, config)
            if monitor.should_stop():
                raise TrainingCancelledError
            arch = Architecture(
                input_size=int(config["input_size"]),
                blocks=int(config["blocks"]),
                convs_per_block=int(config["convs_per_block"]),
                filters=int(config["filters"]),
                kernel_size=int(config["kernel_size"]),
                num_classes=len(data.classes),
            )
            result = train_variant(
                data.train,
                data.selection,
                data.test,
                arch,
                data.classes,
                epochs=int(config["epochs"]),
                base_path=settings.model_base_path,
                name=name,
                title=str(config.get("title") or name),
                dataset=data.description,
                on_epoch=monitor.on_epoch,
                should_stop=monitor.should_stop,
            )
    except TrainingCancelledError:
        finish_job(factory, job_id, JobStatus.CANCELLED)
        return JobStatus.CANCELLED
    except JobFailedError as error:
        finish_job(factory, job_id, JobStatus.FAILED, error=str(error))
        return JobStatus.FAILED
    except Exception as error:
        logger.exception("training job %s failed", job_id)
        finish_job(
            factory,
            job_id,
            JobStatus.FAILED,
            error=unexpected_failure("training", job_id, error),
        )
        return JobStatus.FAILED
    finish_job(
        factory,
        job_id,
        JobStatus.SUCCEEDED,
        result={"name": name, "version": result.version, "accuracy": result.accuracy},
    )
    return JobStatus.SUCCEEDED


def run_import(factory: SessionFactory, settings: WorkerSettings, job_id: str) -> str:
    """Convert and export an upload; an ``ImportRejected`` fails the job with its message."""
    from services.pipeline.importing import ImportRejected, import_model

    if not claim_job(factory, job_id, "import"):
        return "skipped"
    with factory() as session:
        job = session.get(ModelJob, job_id)
        assert job is not None
        files = {f.filename: f.data for f in job.files}
        config, name = dict(job.config), job.name
    try:
        with Heartbeat(factory, job_id, settings.model_job_heartbeat_seconds):
            version_dir = import_model(
                files,
                base_path=settings.model_base_path,
                name=name,
                class_names=config.get("classes") or None,
                title=config.get("title") or None,
            )
    except ImportRejected as error:
        finish_job(factory, job_id, JobStatus.FAILED, error=str(error))
        return JobStatus.FAILED
    except Exception as error:
        logger.exception("import job %s failed", job_id)
        finish_job(
            factory,
            job_id,
            JobStatus.FAILED,
            error=unexpected_failure("import", job_id, error),
        )
        return JobStatus.FAILED
    finish_job(
        factory,
        job_id,
        JobStatus.SUCCEEDED,
        result={"name": name, "version": int(version_dir.name), "accuracy": None},
    )
    return JobStatus.SUCCEEDED


@app.task(bind=True, name=TaskName.TRAIN_VARIANT, queue=Queue.MODELS, acks_late=True)
def train_variant_task(self: Task, job_id: str) -> dict[str, str]:
    """Train the variant of model job ``job_id`` and export it as a new version."""
    settings = _settings()
    status = run_training(_session_factory(settings.studio_database_url), settings, job_id, self)
    return {"job_id": job_id, "status": status}


@app.task(name=TaskName.IMPORT_MODEL, queue=Queue.MODELS, acks_late=True)
def import_model_task(job_id: str) -> dict[str, str]:
    """Import the uploaded model of job ``job_id`` as a new version."""
    settings = _settings()
    status = run_import(_session_factory(settings.studio_database_url), settings, job_id)
    return {"job_id": job_id, "status": status}

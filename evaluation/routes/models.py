"""The model studio: list and publish models, upload data sets, train and import as jobs.

Jobs run on the worker's ``models`` queue (:mod:`services.worker.model_tasks`); this
service only validates, stores and queues them, and reads the models folder without
TensorFlow (:mod:`evaluation.model_catalogue`). The contract is in docs/models.md.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal, Protocol, cast

from celery import Celery
from fastapi import APIRouter, Depends, Form, Path, Request, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.auth import InstructorDep
from evaluation.deps import NowDep, SessionDep, SettingsDep
from evaluation.errors import ApiError
from evaluation.model_catalogue import CatalogueEntry, Source, list_models
from evaluation.models import ModelJob, ModelJobFile, PublishedModel, StudioDataset
from evaluation.settings import EvaluationSettings
from services.pipeline.custom_data import DatasetLimits, InvalidDatasetError, inspect_zip
from services.pipeline.variant_shape import ArchitectureDoesNotFitError, feature_map_sizes
from services.worker.settings import WorkerSettings

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/instructor", tags=["model studio"])
student_router = APIRouter(prefix="/api/student", tags=["model studio"])

MODELS_QUEUE = "models"  # services.worker.app.MODELS_QUEUE
TRAIN_TASK = "cnn101.train_variant"
IMPORT_TASK = "cnn101.import_model"
SLUG = r"^[a-z][a-z0-9_]{1,39}$"
# Any model folder may be published, also one copied in by hand (importing allows "-").
MODEL_FOLDER = r"^[a-z0-9][a-z0-9_-]{0,39}$"
JOB_ID = r"^[0-9a-f]{32}$"
IMPORT_SUFFIXES = (".keras", ".h5", ".json", ".bin", ".txt")
MAX_IMPORT_FILES = 64
FINISHED = ("succeeded", "failed", "cancelled")


# --- schemas -------------------------------------------------------------------------


class ModelEntry(BaseModel):
    name: str
    title: str
    versions: list[int]
    latest: int
    source: Source
    classes: list[str]
    accuracy: float | None
    published: bool
    card: str
    created_at: datetime


class ModelList(BaseModel):
    default: str
    models: list[ModelEntry]


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    published: bool


class DatasetClass(BaseModel):
    name: str
    images: int


class DatasetCreated(BaseModel):
    dataset_id: str
    classes: list[DatasetClass]
    images: int
    warnings: list[str]


class DatasetInfo(BaseModel):
    dataset_id: str
    classes: list[DatasetClass]
    images: int
    created_at: datetime


class DatasetList(BaseModel):
    datasets: list[DatasetInfo]


class TrainRequest(BaseModel):
    """A variant to train; every bound is the studio's, so a class-sized job stays short."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=SLUG)
    title: str | None = Field(default=None, min_length=1, max_length=80)
    dataset: str = Field(pattern=r"^(builtin|[0-9a-f]{32})$")
    blocks: int = Field(ge=1, le=4)
    convs_per_block: int = Field(ge=1, le=3)
    filters: int = Field(ge=2, le=32)
    kernel_size: Literal[3, 5]
    input_size: int = Field(ge=32, le=64)
    epochs: int = Field(ge=1, le=60)

    @field_validator("input_size")
    @classmethod
    def _multiple_of_eight(cls, value: int) -> int:
        if value % 8:
            raise ValueError("must be a multiple of 8 (32, 40, 48, 56 or 64)")
        return value


class EpochRecord(BaseModel):
    epoch: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float


class JobProgress(BaseModel):
    epoch: int
    epochs: int
    history: list[EpochRecord]


class JobResult(BaseModel):
    name: str
    version: int
    accuracy: float | None


class Job(BaseModel):
    job_id: str
    kind: Literal["train", "import"]
    name: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    config: dict[str, Any]
    progress: JobProgress
    error: str | None
    result: JobResult | None
    created_at: datetime
    finished_at: datetime | None


class JobList(BaseModel):
    jobs: list[Job]


class StudentModel(BaseModel):
    name: str
    title: str
    latest: int
    classes: list[str]
    accuracy: float | None


class StudentModelList(BaseModel):
    default: str
    models: list[StudentModel]


# --- the queue -----------------------------------------------------------------------


class ModelJobQueue(Protocol):
    """Where jobs are sent: the Celery broker in service, anything in a test."""

    def enqueue(self, task: str, job_id: str) -> None: ...


class CeleryModelJobQueue:
    """Sends the task by name on the ``models`` queue, so this service needs no worker code."""

    def __init__(self, broker_url: str) -> None:
        self.celery = Celery("cnn101", broker=broker_url)
        self.celery.conf.update(task_serializer="json", accept_content=["json"])

    def enqueue(self, task: str, job_id: str) -> None:
        self.celery.send_task(
            task,
            args=[job_id],
            task_id=job_id,
            queue=MODELS_QUEUE,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )


def get_model_queue(request: Request) -> ModelJobQueue:
    queue = getattr(request.app.state, "model_queue", None)
    if queue is None:
        queue = CeleryModelJobQueue(WorkerSettings().broker_url)
        request.app.state.model_queue = queue
    return cast(ModelJobQueue, queue)


ModelQueueDep = Annotated[ModelJobQueue, Depends(get_model_queue)]


# --- helpers -------------------------------------------------------------------------


def _published_names(session: Session) -> set[str]:
    return set(session.scalars(select(PublishedModel.name).where(PublishedModel.published)))


def _entry(entry: CatalogueEntry, published: bool) -> ModelEntry:
    return ModelEntry(
        name=entry.name,
        title=entry.title,
        versions=entry.versions,
        latest=entry.latest,
        source=entry.source,
        classes=entry.classes,
        accuracy=entry.accuracy,
        published=published,
        card=entry.card,
        created_at=entry.created_at,
    )


def _catalogue(settings: EvaluationSettings) -> list[CatalogueEntry]:
    return list_models(settings.model_base_path, settings.model_name)


def _job(job: ModelJob) -> Job:
    progress = job.progress or {}
    return Job(
        job_id=job.id,
        kind=cast(Literal["train", "import"], job.kind),
        name=job.name,
        status=cast(Any, job.status),
        config=job.config,
        progress=JobProgress(
            epoch=int(progress.get("epoch", 0)),
            epochs=int(progress.get("epochs", job.config.get("epochs", 0) or 0)),
            history=[EpochRecord.model_validate(row) for row in progress.get("history", [])],
        ),
        error=job.error,
        result=JobResult.model_validate(job.result) if job.result else None,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def _expire_stale(session: Session, settings: EvaluationSettings, now: datetime) -> None:
    """A running job whose worker stopped writing is failed, so it is not 'running' forever."""
    cutoff = now - timedelta(seconds=settings.studio_stale_job_seconds)
    stale = session.scalars(select(ModelJob).where(ModelJob.status == "running")).all()
    changed = False
    for job in stale:
        last = job.heartbeat_at or job.started_at or job.created_at
        if last < cutoff:
            job.status, job.finished_at = "failed", now
            job.error = (
                f"the model worker stopped answering during this job (no sign of life for "
                f"{settings.studio_stale_job_seconds} s); nothing was exported; start it again"
            )
            changed = True
    if changed:
        session.commit()


def _limits(settings: EvaluationSettings) -> DatasetLimits:
    return DatasetLimits(
        max_zip_bytes=settings.studio_max_zip_bytes,
        max_uncompressed_bytes=settings.studio_max_unzipped_bytes,
        max_files=settings.studio_max_files,
        min_images_per_class=settings.studio_min_images_per_class,
        max_images_per_class=settings.studio_max_images_per_class,
        max_classes=settings.studio_max_classes,
        max_image_pixels=settings.studio_max_image_pixels,
    )


async def _read_capped(upload: UploadFile, limit: int, what: str) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "upload_too_large", f"{what} is larger than {limit} bytes")
    return data


def _refuse_busy_name(session: Session, name: str) -> None:
    busy = session.scalar(
        select(ModelJob.id).where(ModelJob.name == name, ModelJob.status.in_(("queued", "running")))
    )
    if busy is not None:
        raise ApiError(
            409,
            "job_in_progress",
            f"a job for {name!r} is queued or running ({busy}); wait or cancel it",
        )


def _queue_job(session: Session, queue: ModelJobQueue, task: str, job: ModelJob) -> Job:
    session.add(job)
    session.commit()
    try:
        queue.enqueue(task, job.id)
    except Exception as error:
        logger.warning("model job %s not queued: %s", job.id, error)
        session.delete(job)
        session.commit()  # a refusal changes nothing
        raise ApiError(
            503, "queue_unavailable", "the model worker's queue cannot be reached; try again"
        ) from None
    return _job(job)


# --- models --------------------------------------------------------------------------


@router.get("/models")
def list_all_models(
    _instructor: InstructorDep, session: SessionDep, settings: SettingsDep
) -> ModelList:
    """Every model in the models folder; the default is always published."""
    published = _published_names(session) | {settings.model_name}
    return ModelList(
        default=settings.model_name,
        models=[_entry(e, e.name in published) for e in _catalogue(settings)],
    )


@router.put("/models/{name}/published")
def publish_model(
    *,
    name: Annotated[str, Path(pattern=MODEL_FOLDER)],
    request: PublishRequest,
    _instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> ModelEntry:
    """Let students pick a model, or stop them; the default cannot be withdrawn."""
    entry = next((e for e in _catalogue(settings) if e.name == name), None)
    if entry is None:
        raise ApiError(404, "unknown_model", f"no model {name!r} in the models folder")
    if name == settings.model_name:
        if not request.published:
            raise ApiError(409, "default_model", "the default model is always published")
        return _entry(entry, True)
    row = session.get(PublishedModel, name)
    if row is None:
        row = PublishedModel(name=name)
        session.add(row)
    row.published, row.updated_at = request.published, now
    session.commit()
    return _entry(entry, request.published)


@student_router.get("/models")
def student_models(session: SessionDep, settings: SettingsDep) -> StudentModelList:
    """The published models (the default first): what students may pick among."""
    published = _published_names(session) | {settings.model_name}
    return StudentModelList(
        default=settings.model_name,
        models=[
            StudentModel(
                name=e.name, title=e.title, latest=e.latest, classes=e.classes, accuracy=e.accuracy
            )
            for e in _catalogue(settings)
            if e.name in published
        ],
    )


# --- data sets -----------------------------------------------------------------------


@router.post("/datasets", status_code=status.HTTP_201_CREATED)
async def upload_dataset(
    file: UploadFile,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> DatasetCreated:
    """Validate a zip (one folder per class) and keep it for training."""
    data = await _read_capped(file, settings.studio_max_zip_bytes, "the zip")
    try:
        summary = inspect_zip(data, _limits(settings))
    except InvalidDatasetError as error:
        raise ApiError(400, "invalid_dataset", str(error)) from None
    classes = [{"name": c.name, "images": c.images} for c in summary.classes]
    dataset = StudioDataset(
        id=uuid.uuid4().hex,
        instructor_id=instructor.id,
        filename=PurePosixPath(file.filename or "dataset.zip").name[:255],
        classes=classes,
        images=summary.images,
        warnings=list(summary.warnings),
        size_bytes=len(data),
        archive=data,
        created_at=now,
    )
    session.add(dataset)
    session.commit()
    return DatasetCreated(
        dataset_id=dataset.id,
        classes=[DatasetClass.model_validate(c) for c in classes],
        images=summary.images,
        warnings=list(summary.warnings),
    )


@router.get("/datasets")
def list_datasets(instructor: InstructorDep, session: SessionDep) -> DatasetList:
    """This instructor's data sets, newest first (without their images)."""
    rows = session.execute(
        select(
            StudioDataset.id, StudioDataset.classes, StudioDataset.images, StudioDataset.created_at
        )
        .where(StudioDataset.instructor_id == instructor.id)
        .order_by(StudioDataset.created_at.desc())
    ).all()
    return DatasetList(
        datasets=[
            DatasetInfo(
                dataset_id=row.id,
                classes=[DatasetClass.model_validate(c) for c in row.classes],
                images=row.images,
                created_at=row.created_at,
            )
            for row in rows
        ]
    )


# --- jobs ----------------------------------------------------------------------------


@router.post("/models/train", status_code=status.HTTP_202_ACCEPTED)
def train_model(
    *,
    request: TrainRequest,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    queue: ModelQueueDep,
    now: NowDep,
) -> Job:
    """Queue a training run of a variant; its result becomes a new version of ``name``."""
    if request.name == settings.model_name:
        raise ApiError(
            409, "default_model", f"name: {request.name!r} is the default model; pick another name"
        )
    try:
        feature_map_sizes(
            request.input_size, request.blocks, request.convs_per_block, request.kernel_size
        )
    except ArchitectureDoesNotFitError as error:
        raise ApiError(400, "architecture_does_not_fit", f"blocks: {error}") from None
    config = request.model_dump()
    if request.dataset != "builtin":
        dataset = session.get(StudioDataset, request.dataset)
        if dataset is None or dataset.instructor_id != instructor.id:
            raise ApiError(404, "unknown_dataset", f"dataset: no data set {request.dataset}")
        config["classes"] = [c["name"] for c in dataset.classes]
    config["title"] = request.title or request.name
    _refuse_busy_name(session, request.name)
    job = ModelJob(
        id=uuid.uuid4().hex,
        kind="train",
        name=request.name,
        status="queued",
        config=config,
        progress={"epoch": 0, "epochs": request.epochs, "history": []},
        cancel_requested=False,
        attempts=0,
        created_at=now,
    )
    return _queue_job(session, queue, TRAIN_TASK, job)


def _check_import_files(files: list[tuple[str, bytes]]) -> None:
    names = [name for name, _ in files]
    for name in names:
        if not name.lower().endswith(IMPORT_SUFFIXES):
            raise ApiError(
                400,
                "invalid_import",
                f"files: {name!r} is not a .keras, .h5, model.json, .bin or labels.txt",
            )
    if len(set(names)) != len(names):
        raise ApiError(400, "invalid_import", "files: two files have the same name")
    single = [n for n in names if n.lower().endswith((".keras", ".h5"))]
    if single and len([n for n in names if not n.lower().endswith(".txt")]) != 1:
        raise ApiError(400, "invalid_import", "files: send one .keras or .h5 file on its own")
    if not single and sum(n.lower().endswith(".json") for n in names) != 1:
        raise ApiError(
            400,
            "invalid_import",
            "files: send one .keras/.h5 file, or one model.json with its shards",
        )


@router.post("/models/import", status_code=status.HTTP_202_ACCEPTED)
async def import_model(
    *,
    name: Annotated[str, Form(pattern=SLUG)],
    files: list[UploadFile],
    title: Annotated[str | None, Form(max_length=80)] = None,
    classes: Annotated[str | None, Form(max_length=20000)] = None,
    _instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    queue: ModelQueueDep,
    now: NowDep,
) -> Job:
    """Queue the import of a Keras or TensorFlow.js model as a new version of ``name``."""
    if name == settings.model_name:
        raise ApiError(
            409, "default_model", f"name: {name!r} is the default model; pick another name"
        )
    if not files or len(files) > MAX_IMPORT_FILES:
        raise ApiError(400, "invalid_import", f"files: send 1 to {MAX_IMPORT_FILES} files")
    budget = settings.studio_max_import_bytes
    stored: list[tuple[str, bytes]] = []
    for upload in files:
        filename = PurePosixPath((upload.filename or "").replace("\\", "/")).name
        if not filename or not re.match(r"^[\w.\- ]{1,255}$", filename):
            raise ApiError(
                400, "invalid_import", f"files: {upload.filename!r} is not a plain file name"
            )
        data = await _read_capped(upload, budget, "the model files together are")
        budget -= len(data)
        stored.append((filename, data))
    _check_import_files(stored)
    class_names = [line.strip() for line in (classes or "").splitlines() if line.strip()]
    _refuse_busy_name(session, name)
    job = ModelJob(
        id=uuid.uuid4().hex,
        kind="import",
        name=name,
        status="queued",
        config={
            "title": title or name,
            "classes": class_names or None,
            "files": [{"name": n, "bytes": len(d)} for n, d in stored],
        },
        progress={"epoch": 0, "epochs": 0, "history": []},
        cancel_requested=False,
        attempts=0,
        created_at=now,
    )
    job.files = [ModelJobFile(filename=n, data=d) for n, d in stored]
    return _queue_job(session, queue, IMPORT_TASK, job)


@router.get("/models/jobs")
def list_jobs(
    _instructor: InstructorDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> JobList:
    """Every model job, newest first."""
    _expire_stale(session, settings, now)
    jobs = session.scalars(select(ModelJob).order_by(ModelJob.created_at.desc()).limit(200))
    return JobList(jobs=[_job(job) for job in jobs])


def _get_job(session: Session, job_id: str) -> ModelJob:
    job = session.get(ModelJob, job_id)
    if job is None:
        raise ApiError(404, "unknown_job", f"no model job {job_id}")
    return job


JobIdPath = Annotated[str, Path(pattern=JOB_ID)]


@router.get("/models/jobs/{job_id}")
def get_job(
    job_id: JobIdPath,
    _instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Job:
    _expire_stale(session, settings, now)
    return _job(_get_job(session, job_id))


@router.post("/models/jobs/{job_id}/cancel", status_code=status.HTTP_202_ACCEPTED)
def cancel_job(
    job_id: JobIdPath, _instructor: InstructorDep, session: SessionDep, now: NowDep
) -> Job:
    """A queued job ends at once; a running one at the worker's next check (seconds)."""
    session.execute(select(ModelJob.id).where(ModelJob.id == job_id).with_for_update())
    job = _get_job(session, job_id)
    if job.status in FINISHED:
        raise ApiError(409, "job_finished", f"the job has already {job.status}")
    job.cancel_requested = True
    if job.status == "queued":
        job.status, job.finished_at = "cancelled", now
    session.commit()
    return _job(job)

"""Training and import jobs: queue them, follow them, cancel them.

Jobs run on the worker's ``models`` queue (:mod:`services.worker.model_tasks`); this
service only validates, stores and queues them. The contract is in docs/models.md.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, UploadFile, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.errors import ApiError
from services.common.jobs import FINISHED_JOB_STATUSES, JobKind, JobStatus
from services.common.model_store import list_models
from services.pipeline.variant_shape import ArchitectureDoesNotFitError, feature_map_sizes
from services.studio.audit import Action, record, refuse
from services.studio.auth import Instructor, InstructorDep
from services.studio.deps import ModelQueueDep, NowDep, SessionDep, SettingsDep
from services.studio.jobs import expire_stale_jobs, job_public, queue_job, refuse_busy_name
from services.studio.models import ModelJob, ModelJobFile, StudioDataset
from services.studio.ownership import claim, claimable, not_your_model
from services.studio.schemas import JOB_ID, SLUG, Job, JobList, TrainRequest
from services.studio.settings import StudioSettings
from services.studio.uploads import read_capped

router = APIRouter(prefix="/api/studio", tags=["model studio"])

IMPORT_SUFFIXES = (".keras", ".h5", ".json", ".bin", ".txt")
MAX_IMPORT_FILES = 64
PLAIN_FILE_NAME = re.compile(r"^[\w.\- ]{1,255}$")
JobIdPath = Annotated[str, Path(pattern=JOB_ID)]


def _claim_name(
    session: Session,
    http_request: Request,
    now: datetime,
    *,
    action: Action,
    instructor: Instructor,
    name: str,
    settings: StudioSettings,
) -> None:
    """New versions go under one's own names only (a new name becomes one's own)."""
    on_disk = any(
        e.name == name for e in list_models(settings.model_base_path, settings.model_name)
    )
    if not claimable(session, instructor, name, on_disk):
        refuse(
            session,
            http_request,
            now,
            action=action,
            instructor=instructor,
            target=name,
            error=not_your_model(name),
        )
    claim(session, instructor, name)


def _refuse_default_name(name: str, default: str) -> None:
    if name == default:
        raise ApiError(
            409, "default_model", f"name: {name!r} is the default model; pick another name"
        )


@router.post("/models/train", status_code=status.HTTP_202_ACCEPTED)
def train_model(
    *,
    request: TrainRequest,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    queue: ModelQueueDep,
    now: NowDep,
) -> Job:
    """Queue a training run of a variant; its result becomes a new version of ``name``."""
    _refuse_default_name(request.name, settings.model_name)
    try:
        feature_map_sizes(
            request.input_size, request.blocks, request.convs_per_block, request.kernel_size
        )
    except ArchitectureDoesNotFitError as error:
        raise ApiError(400, "architecture_does_not_fit", f"blocks: {error}") from None
    config = request.model_dump()
    if request.dataset != "builtin":
        dataset = session.get(StudioDataset, request.dataset)
        if dataset is None or not instructor.may_act_on(dataset.instructor_id):
            raise ApiError(404, "unknown_dataset", f"dataset: no data set {request.dataset}")
        if dataset.status != "ready":
            state = "still being checked" if dataset.status == "checking" else "not usable"
            raise ApiError(409, "dataset_not_ready", f"dataset: the data set is {state}")
        config["classes"] = [c["name"] for c in dataset.classes]
    config["title"] = request.title or request.name
    _claim_name(
        session,
        http_request,
        now,
        action=Action.TRAIN,
        instructor=instructor,
        name=request.name,
        settings=settings,
    )
    refuse_busy_name(session, request.name)
    job = ModelJob(
        id=uuid.uuid4().hex,
        kind=JobKind.TRAIN,
        name=request.name,
        owner_id=instructor.id,
        status=JobStatus.QUEUED,
        config=config,
        progress={"epoch": 0, "epochs": request.epochs, "history": []},
        cancel_requested=False,
        attempts=0,
        created_at=now,
    )
    queued = queue_job(session, queue, job)
    detail = {"job": job.id, "dataset": request.dataset, "epochs": request.epochs}
    record(session, http_request, now, Action.TRAIN, instructor, target=job.name, detail=detail)
    session.commit()
    return queued


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


async def _check_declared_sizes(files: list[tuple[str, bytes]]) -> None:
    """Refuse at once what the model worker would refuse from the files' metadata alone
    (services/pipeline/import_limits.py): the instructor learns it now, not from a failed
    job. Off the event loop: a model.json of megabytes is parsed here."""
    from services.pipeline.import_checks import check_upload
    from services.pipeline.import_formats import ImportRejected

    try:
        await asyncio.to_thread(check_upload, dict(files))
    except ImportRejected as error:
        raise ApiError(400, "invalid_import", str(error)) from None


@router.post("/models/import", status_code=status.HTTP_202_ACCEPTED)
async def import_model(
    *,
    name: Annotated[str, Form(pattern=SLUG)],
    files: list[UploadFile],
    title: Annotated[str | None, Form(max_length=80)] = None,
    classes: Annotated[str | None, Form(max_length=20000)] = None,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    queue: ModelQueueDep,
    now: NowDep,
) -> Job:
    """Queue the import of a Keras or TensorFlow.js model as a new version of ``name``."""
    _refuse_default_name(name, settings.model_name)
    if not files or len(files) > MAX_IMPORT_FILES:
        raise ApiError(400, "invalid_import", f"files: send 1 to {MAX_IMPORT_FILES} files")
    budget = settings.studio_max_import_bytes
    stored: list[tuple[str, bytes]] = []
    for upload in files:
        filename = PurePosixPath((upload.filename or "").replace("\\", "/")).name
        if not filename or not PLAIN_FILE_NAME.match(filename):
            raise ApiError(
                400, "invalid_import", f"files: {upload.filename!r} is not a plain file name"
            )
        data = await read_capped(upload, budget, "the model files together are")
        budget -= len(data)
        stored.append((filename, data))
    _check_import_files(stored)
    class_names = [line.strip() for line in (classes or "").splitlines() if line.strip()]
    _claim_name(
        session,
        http_request,
        now,
        action=Action.IMPORT,
        instructor=instructor,
        name=name,
        settings=settings,
    )
    refuse_busy_name(session, name)
    await _check_declared_sizes(stored)  # after who may: another's name is 403 first
    job = ModelJob(
        id=uuid.uuid4().hex,
        kind=JobKind.IMPORT,
        name=name,
        owner_id=instructor.id,
        status=JobStatus.QUEUED,
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
    queued = queue_job(session, queue, job)
    detail = {"job": job.id, "files": [n for n, _ in stored]}
    record(session, http_request, now, Action.IMPORT, instructor, target=name, detail=detail)
    session.commit()
    return queued


@router.get("/jobs")
def list_jobs(
    instructor: InstructorDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> JobList:
    """This instructor's model jobs (the admin's: everyone's), newest first."""
    expire_stale_jobs(session, settings.studio_stale_job_seconds, now)
    query = select(ModelJob).order_by(ModelJob.created_at.desc()).limit(200)
    if not instructor.is_admin:
        query = query.where(ModelJob.owner_id == instructor.id)
    jobs = session.scalars(query)
    return JobList(jobs=[job_public(job) for job in jobs])


def _get_job(session: Session, job_id: str, instructor: Instructor) -> ModelJob:
    """The job if it is this instructor's (the admin: any); another's does not exist."""
    job = session.get(ModelJob, job_id)
    if job is None or not instructor.may_act_on(job.owner_id):
        raise ApiError(404, "unknown_job", f"no model job {job_id}")
    return job


@router.get("/jobs/{job_id}")
def get_job(
    job_id: JobIdPath,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Job:
    expire_stale_jobs(session, settings.studio_stale_job_seconds, now)
    return job_public(_get_job(session, job_id, instructor))


@router.post("/jobs/{job_id}/cancel", status_code=status.HTTP_202_ACCEPTED)
def cancel_job(
    job_id: JobIdPath,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    now: NowDep,
) -> Job:
    """A queued job ends at once; a running one at the worker's next check (seconds)."""
    session.execute(select(ModelJob.id).where(ModelJob.id == job_id).with_for_update())
    try:
        job = _get_job(session, job_id, instructor)
    except ApiError as refusal:
        refuse(
            session,
            http_request,
            now,
            action=Action.CANCEL,
            instructor=instructor,
            target=f"job {job_id}",
            error=refusal,
        )
    if job.status in FINISHED_JOB_STATUSES:
        raise ApiError(409, "job_finished", f"the job has already {job.status}")
    job.cancel_requested = True
    if job.status == JobStatus.QUEUED:
        job.status, job.finished_at = JobStatus.CANCELLED, now
    record(
        session,
        http_request,
        now,
        Action.CANCEL,
        instructor,
        target=f"job {job.id}",
        detail={"model": job.name},
    )
    session.commit()
    return job_public(job)

"""A model job's record: reading it for the page, queueing it, and failing the silent ones."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.errors import ApiError
from services.common.jobs import UNFINISHED_JOB_STATUSES, JobKind, JobStatus
from services.studio.job_queue import ModelJobQueue
from services.studio.models import ModelJob
from services.studio.schemas import EpochRecord, Job, JobProgress, JobResult

logger = logging.getLogger(__name__)


def job_public(job: ModelJob) -> Job:
    progress = job.progress or {}
    return Job(
        job_id=job.id,
        kind=JobKind(job.kind),
        name=job.name,
        status=JobStatus(job.status),
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
        owner_id=job.owner_id,
    )


def expire_stale_jobs(session: Session, stale_seconds: int, now: datetime) -> None:
    """A running job whose worker stopped writing is failed, so it is not 'running' forever."""
    cutoff = now - timedelta(seconds=stale_seconds)
    running = session.scalars(select(ModelJob).where(ModelJob.status == JobStatus.RUNNING)).all()
    changed = False
    for job in running:
        last = job.heartbeat_at or job.started_at or job.created_at
        if last < cutoff:
            job.status, job.finished_at = JobStatus.FAILED, now
            job.error = (
                f"the model worker stopped answering during this job (no sign of life for "
                f"{stale_seconds} s); nothing was exported; start it again"
            )
            changed = True
    if changed:
        session.commit()


def refuse_busy_name(session: Session, name: str) -> None:
    busy = session.scalar(
        select(ModelJob.id).where(
            ModelJob.name == name, ModelJob.status.in_(UNFINISHED_JOB_STATUSES)
        )
    )
    if busy is not None:
        raise ApiError(
            409,
            "job_in_progress",
            f"a job for {name!r} is queued or running ({busy}); wait or cancel it",
        )


def queue_job(session: Session, queue: ModelJobQueue, job: ModelJob) -> Job:
    """Store the job, then send it; a queue that cannot be reached leaves nothing behind."""
    session.add(job)
    session.commit()
    try:
        queue.enqueue(JobKind(job.kind), job.id)
    except Exception as error:
        logger.warning("model job %s not queued: %s", job.id, error)
        session.delete(job)
        session.commit()  # a refusal changes nothing
        raise ApiError(
            503, "queue_unavailable", "the model worker's queue cannot be reached; try again"
        ) from None
    return job_public(job)

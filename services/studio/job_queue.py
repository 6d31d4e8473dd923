"""Where the studio sends its jobs: the worker's ``models`` queue, by task name."""

from __future__ import annotations

from typing import Protocol

from services.common.jobs import JOB_KIND_TASKS, JobKind, TaskSender


class ModelJobQueue(Protocol):
    """The Celery broker in service, anything that records the calls in a test."""

    def enqueue(self, kind: JobKind, job_id: str) -> None: ...


class CeleryModelJobQueue:
    """Sends the job's task by name, so this service needs no worker code."""

    def __init__(self, broker_url: str) -> None:
        self.sender = TaskSender(broker_url)

    def enqueue(self, kind: JobKind, job_id: str) -> None:
        self.sender.send(JOB_KIND_TASKS[kind], args=[job_id], task_id=job_id)

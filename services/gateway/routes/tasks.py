"""Background jobs: start warming a model version's examples, and follow any job's progress."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, status

from services.common.errors import ApiError, error_responses
from services.common.jobs import TaskName
from services.gateway.state import StateDep

router = APIRouter(prefix="/api", tags=["tasks"])
SEND_TIMEOUT_SECONDS = 5.0


@router.post(
    "/models/{name}/versions/{version}/warm",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(404, 503),
)
async def warm_version(name: str, version: int, state: StateDep) -> dict[str, str]:
    """Queue the warm-up of every example's bundle for this version; returns the task id."""
    await state.model_version(name, version)  # 404 for an unknown model or version
    send = asyncio.to_thread(state.jobs.send, TaskName.WARM_EXAMPLES, [name, version])
    try:
        # With Redis away, Celery retries for ~20 s and then raises RuntimeError; answer
        # 503 sooner. A warm-up sent late anyway is harmless: warming is idempotent.
        task_id = await asyncio.wait_for(send, timeout=SEND_TIMEOUT_SECONDS)
    except (TimeoutError, RuntimeError) as error:
        raise ApiError(
            503,
            "queue_unavailable",
            "Background jobs are not reachable right now; try again in a moment.",
            {"Retry-After": str(state.settings.retry_after_seconds)},
        ) from error
    return {"task_id": task_id, "status_url": f"/api/tasks/{task_id}"}


@router.get("/tasks/{task_id}")
async def task_status(task_id: str, state: StateDep) -> dict[str, Any]:
    """``state`` (PENDING, STARTED, PROGRESS, SUCCESS, FAILURE, RETRY) and progress so far."""

    def read() -> dict[str, Any]:
        result = state.jobs.result(task_id)
        info = result.info
        body: dict[str, Any] = {"task_id": task_id, "state": result.state}
        if isinstance(info, dict):
            body.update({k: info[k] for k in ("done", "total") if k in info})
        elif isinstance(info, BaseException):
            body["error"] = "The job failed; the worker's log says why."
        return body

    return await asyncio.to_thread(read)

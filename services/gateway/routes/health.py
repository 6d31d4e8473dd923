"""Liveness, readiness (each downstream checked) and Prometheus metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.common.errors import ApiError
from services.gateway.state import StateDep

router = APIRouter(tags=["health"])


@router.get("/health/live")
async def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/health/ready", response_model=None)
async def ready(state: StateDep) -> dict[str, Any] | JSONResponse:
    """Ready when the activation service answers and the default model is served.

    A down Redis (slower, still correct), study or studio service (the explorer still
    works) makes the platform ``degraded``, not unready. Under ``cnn101 run`` the body
    also lists each process's state and restarts (``processes``).
    """
    checks = await state.client.health()
    try:
        served = await state.client.list_models()
        checks["inference"] = "ok" if state.settings.model_name in served else "no_model"
    except ApiError:
        checks["inference"] = "down"
    checks["study"] = await _service_health(state.evaluation)
    checks["studio"] = await _service_health(state.studio)
    healthy = checks["activations"] == "ok" and checks["inference"] == "ok"
    complete = all(checks[name] == "ok" for name in ("cache", "study", "studio"))
    status = "ok" if healthy and complete else ("degraded" if healthy else "down")
    body: dict[str, Any] = {"status": status, "checks": checks}
    processes = _supervised_processes(state.settings.supervisor_status_file)
    if processes is not None:
        body["processes"] = processes
    if not healthy:
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return body


def _supervised_processes(path: Path | None) -> dict[str, Any] | None:
    """Under ``cnn101 run``: each process's state and restarts (services/supervisor.py)."""
    if path is None:
        return None
    try:
        processes = json.loads(path.read_text(encoding="utf-8"))["processes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return processes if isinstance(processes, dict) else None


async def _service_health(client: httpx.AsyncClient) -> str:
    try:
        response = await client.get("/health", timeout=2.0)
    except httpx.HTTPError:
        return "down"
    return "ok" if response.status_code == 200 else "down"


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format: request counts and latencies by route."""
    return Response(
        generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST
    )

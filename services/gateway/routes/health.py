"""Liveness, readiness (each downstream checked) and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.gateway.errors import ApiError
from services.gateway.state import StateDep

router = APIRouter(tags=["health"])


@router.get("/health/live")
async def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/health/ready", response_model=None)
async def ready(state: StateDep) -> dict[str, Any] | JSONResponse:
    """Ready when the activation service answers and the default model is served.

    A down Redis makes the platform ``degraded`` (slower, still correct), not unready.
    """
    checks = await state.client.health()
    try:
        served = await state.client.list_models()
        checks["inference"] = "ok" if state.settings.model_name in served else "no_model"
    except ApiError:
        checks["inference"] = "down"
    healthy = checks["activations"] == "ok" and checks["inference"] == "ok"
    status = "ok" if healthy and checks["cache"] == "ok" else ("degraded" if healthy else "down")
    body = {"status": status, "checks": checks}
    if not healthy:
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return body


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format: request counts and latencies by route."""
    return Response(
        generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST
    )

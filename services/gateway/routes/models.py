"""Models: the list, one model's description (graph, classes), its weights."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from services.common.errors import error_responses
from services.gateway.published import PublishedDep, require_visible_model
from services.gateway.responses import IMMUTABLE, REVALIDATE, not_modified
from services.gateway.state import StateDep

# Unpublished models are invisible here (services/gateway/published.py).
router = APIRouter(
    prefix="/api/models", tags=["models"], dependencies=[Depends(require_visible_model)]
)


@router.get("", responses=error_responses(503))
async def list_models(state: StateDep, published: PublishedDep) -> dict[str, Any]:
    """Every served, published model with its versions; ``default`` is the one the app opens."""
    served = await state.client.list_models()
    visible = await published.names()
    return {
        "default": state.settings.model_name,
        "models": [
            {"name": name, "versions": versions, "latest": versions[-1]}
            for name, versions in served.items()
            if name in visible
        ],
    }


def _described(name: str, version: int, description: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "version": version,
        "weights_url": f"/api/models/{name}/versions/{version}/weights",
        "activations_url": f"/api/models/{name}/versions/{version}/activations/{{digest}}",
        "description": description,
    }


@router.get("/{name}", responses=error_responses(404, 503))
async def newest_model(name: str, state: StateDep, response: Response) -> dict[str, Any]:
    """The newest version's description (revalidated, since a new version may appear)."""
    described = await state.model_version(name, 0)
    response.headers["Cache-Control"] = REVALIDATE
    return _described(name, described.version, described.description) | {
        "available_versions": described.available_versions
    }


@router.get("/{name}/versions/{version}", response_model=None, responses=error_responses(404, 503))
async def model_version(
    name: str, version: int, state: StateDep, request: Request, response: Response
) -> dict[str, Any] | Response:
    """One version's description: classes, layer graph, weight manifest (immutable)."""
    etag = f'"{name}-{version}-description"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    if (early := not_modified(request, etag, headers)) is not None:
        return early
    described = await state.model_version(name, version)
    response.headers.update(headers)
    return _described(name, version, described.description)


@router.get(
    "/{name}/versions/{version}/weights",
    response_class=Response,
    responses={
        200: {
            "content": {"application/octet-stream": {}},
            "description": "weights.bin: little-endian float32",
        },
        **error_responses(404, 503),
    },
)
async def weights(name: str, version: int, state: StateDep, request: Request) -> Response:
    """``weights.bin``: every weight as little-endian float32, laid out by the manifest."""
    etag = f'"{name}-{version}-weights"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    if (early := not_modified(request, etag, headers)) is not None:
        return early
    described = await state.model_version(name, version)
    return Response(described.weights, media_type="application/octet-stream", headers=headers)

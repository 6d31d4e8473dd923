"""Models: the list, one model's description (graph, classes), its weights."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from services.common.errors import error_responses
from services.gateway.published import PublishedDep, require_visible_model
from services.gateway.responses import (
    IMMUTABLE,
    REVALIDATE,
    fingerprint_of,
    not_modified,
    pinned_to,
)
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
    """A version's description, with URLs pinned to its exported files' fingerprint (so
    they may be cached for ever: the same version exported again gets new URLs)."""
    fingerprint = fingerprint_of(description)
    base = f"/api/models/{name}/versions/{version}"
    return {
        "name": name,
        "version": version,
        "fingerprint": fingerprint,
        "weights_url": f"{base}/weights?fingerprint={fingerprint}",
        "activations_url": f"{base}/activations/{{digest}}?fingerprint={fingerprint}",
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
    """One version's description: classes, layer graph, weight manifest (revalidated by
    its fingerprint: a 304 unless the version was exported again)."""
    described = await state.model_version(name, version)
    fingerprint = fingerprint_of(described.description)
    headers = {"ETag": f'"{name}-{version}-{fingerprint}-description"', "Cache-Control": REVALIDATE}
    if (early := not_modified(request, headers["ETag"], headers)) is not None:
        return early
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
async def weights(
    name: str, version: int, state: StateDep, request: Request, fingerprint: str | None = None
) -> Response:
    """``weights.bin``: every weight as little-endian float32, laid out by the manifest;
    cached for a year when the URL names the current ``fingerprint``."""
    described = await state.model_version(name, version)
    current = fingerprint_of(described.description)
    cache = IMMUTABLE if pinned_to(fingerprint, current) else REVALIDATE
    headers = {"ETag": f'"{name}-{version}-{current}-weights"', "Cache-Control": cache}
    if (early := not_modified(request, headers["ETag"], headers)) is not None:
        return early
    return Response(described.weights, media_type="application/octet-stream", headers=headers)

"""Examples: the list, each image as the model sees it, and its activations."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from cnn101.v1 import activations_pb2
from fastapi import APIRouter, Depends, Request, Response

from services.common.errors import ApiError, error_responses
from services.gateway.bundles import BundleKey, fetch_bundle
from services.gateway.published import require_visible_model
from services.gateway.responses import BUNDLE_OPENAPI, bundle_response, fingerprint_of, pinned_to
from services.gateway.state import GatewayState, StateDep

# Unpublished models are invisible here (services/gateway/published.py).
router = APIRouter(
    prefix="/api/examples", tags=["examples"], dependencies=[Depends(require_visible_model)]
)


async def _known(
    state: GatewayState, example_id: str, model: str, version: int
) -> tuple[int, str, int, str]:
    """The resolved version, its fingerprint, the model's input size and the example's
    digest at that size."""
    if state.example(example_id) is None:
        raise ApiError(404, "unknown_example", f"There is no example called {example_id!r}.")
    described = await state.model_version(model, version)
    size = int(described.description["input"]["shape"][0])
    digest = (await state.example_digests(size))[example_id]
    return described.version, fingerprint_of(described.description), size, digest


async def _revalidated_png(
    request: Request, tag: str, encoded: Callable[[], Awaitable[bytes]]
) -> Response:
    """A PNG that browsers keep for a day, then revalidate by ``tag`` (304: nothing encoded)."""
    headers = {"Cache-Control": "public, max-age=86400", "ETag": f'"{tag}"'}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(await encoded(), media_type="image/png", headers=headers)


@router.get("", responses=error_responses(404, 503))
async def list_examples(state: StateDep, model: str | None = None) -> dict[str, Any]:
    """Example images by class, with the digest of each one's model input."""
    name = model or state.settings.model_name
    described = await state.model_version(name, 0)
    digests = await state.example_digests(int(described.description["input"]["shape"][0]))
    tiles: dict[str, int] = {}
    for label in {example.label for example in state.examples}:
        tiles.update((e.id, i) for i, e in enumerate(state.class_examples(label)))
    return {
        "model": name,
        "version": described.version,
        "examples": [
            {
                "id": e.id,
                "label": e.label,
                "class_name": e.class_name,
                "digest": digests[e.id],
                "image_url": f"/api/examples/{e.id}/image",
                "sprite_url": f"/api/examples/sprites/{e.label}?model={quote(name)}",
                "sprite_index": tiles[e.id],
            }
            for e in state.examples
        ],
    }


@router.get(
    "/{example_id}/image",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "64x64 PNG"},
        **error_responses(404, 503),
    },
)
async def example_image(
    example_id: str, state: StateDep, request: Request, model: str | None = None
) -> Response:
    """The example as the model sees it: centre-cropped, resized, PNG."""
    name = model or state.settings.model_name
    _, _, size, digest = await _known(state, example_id, name, 0)
    return await _revalidated_png(request, digest, lambda: state.example_png(example_id, size))


@router.get(
    "/sprites/{label}",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "the class's examples side by side"},
        **error_responses(404, 503),
    },
)
async def class_sprite(
    label: int, state: StateDep, request: Request, model: str | None = None
) -> Response:
    """All of a class's examples in one PNG, left to right in list order (``sprite_index``)."""
    examples = state.class_examples(label)
    if not examples:
        raise ApiError(404, "unknown_class", f"There are no examples of a class {label}.")
    name = model or state.settings.model_name
    described = await state.model_version(name, 0)
    size = int(described.description["input"]["shape"][0])
    digests = await state.example_digests(size)
    tag = hashlib.sha256("".join(digests[e.id] for e in examples).encode()).hexdigest()
    return await _revalidated_png(request, tag, lambda: state.class_sprite(label, size))


@router.get(
    "/{example_id}/activations",
    response_class=Response,
    responses={**BUNDLE_OPENAPI, **error_responses(404, 503)},
)
async def example_activations(
    example_id: str,
    *,
    state: StateDep,
    model: str | None = None,
    version: int = 0,
    fingerprint: str | None = None,
) -> Response:
    """The example's activation bundle (newest version unless ``version`` is given); cached
    for a year when ``version`` and the model's current ``fingerprint`` are both named."""
    name = model or state.settings.model_name
    resolved, current, _, digest = await _known(state, example_id, name, version)
    data = await fetch_bundle(
        state,
        BundleKey(name, resolved, current, digest),
        activations_pb2.GetActivationsRequest(example_id=example_id),
    )
    return bundle_response(
        data,
        model=name,
        version=resolved,
        fingerprint=current,
        digest=digest,
        immutable=version > 0 and pinned_to(fingerprint, current),
    )

"""Examples: the list, each image as the model sees it, and its activations.

Once the worker has rendered a version's examples as files (services/gateway/static_bundles.py),
the list points at those immutable files and the activations route sends the file it holds;
until then both answer from the activation service, as uploads always do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from cnn101.v1 import activations_pb2
from fastapi import APIRouter, Depends, Request, Response

from services.common.errors import ApiError, error_responses
from services.gateway.activations_client import ModelVersion
from services.gateway.bundles import BundleKey, fetch_bundle
from services.gateway.encoded import EncodedJson
from services.gateway.published import require_visible_model
from services.gateway.responses import (
    BUNDLE_MEDIA_TYPE,
    BUNDLE_OPENAPI,
    REVALIDATE,
    bundle_headers,
    bundle_response,
    fingerprint_of,
    pinned_to,
)
from services.gateway.state import GatewayState, StateDep
from services.gateway.static_bundles import StaticVersion, static_index

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


@router.get("", response_model=dict[str, Any], responses=error_responses(404, 503))
async def list_examples(request: Request, state: StateDep, model: str | None = None) -> Response:
    """Example images by class, with the digest of each one's model input and the URL of
    its bundle: an immutable static file once the worker has rendered the version, else
    the activations route pinned to this version's fingerprint."""
    name = model or state.settings.model_name
    described = await state.model_version(name, 0)
    fingerprint = fingerprint_of(described.description)
    index = static_index(state.settings.static_root, state.settings.static_memory_bytes)
    rendered = index.version(name, described.version, fingerprint)
    # Revalidated (no-cache): a new version or the worker's rendering changes the list.
    key = (name, described.version, fingerprint, rendered is not None)
    encoded = state.example_lists.get(key)
    if encoded is None:
        listing = await _example_list(state, name, described, rendered)
        encoded = state.example_lists[key] = EncodedJson.of(listing)
    return encoded.response(request, REVALIDATE)


async def _example_list(
    state: GatewayState, name: str, described: ModelVersion, rendered: StaticVersion | None
) -> dict[str, Any]:
    version, fingerprint = described.version, fingerprint_of(described.description)
    digests = await state.example_digests(int(described.description["input"]["shape"][0]))
    tiles: dict[str, int] = {}
    for label in {example.label for example in state.examples}:
        tiles.update((e.id, i) for i, e in enumerate(state.class_examples(label)))
    pinned = f"model={quote(name)}&version={version}&fingerprint={fingerprint}"

    def bundle_url(example_id: str) -> str:
        static = rendered.bundle_url(example_id, digests[example_id]) if rendered else None
        return static or f"/api/examples/{example_id}/activations?{pinned}"

    def sprite_url(label: int) -> str:
        static = rendered.sprite_url(label) if rendered else None
        return static or f"/api/examples/sprites/{label}?model={quote(name)}"

    featured = rendered.manifest.featured if rendered else None
    return {
        "model": name,
        "version": version,
        "fingerprint": fingerprint,
        # The example the explorer opens with (services/worker/featured.py); null until the
        # worker has rendered the version, and the SPA then opens with the first.
        "featured": featured if featured in digests else None,
        "examples": [
            {
                "id": e.id,
                "label": e.label,
                "class_name": e.class_name,
                "digest": digests[e.id],
                "image_url": f"/api/examples/{e.id}/image",
                "sprite_url": sprite_url(e.label),
                "sprite_index": tiles[e.id],
                "bundle_url": bundle_url(e.id),
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
    immutable = version > 0 and pinned_to(fingerprint, current)
    settings = state.settings
    index = static_index(settings.static_root, settings.static_memory_bytes)
    rendered = index.version(name, resolved, current)
    path = rendered.bundle_file(settings.static_root, example_id, digest) if rendered else None
    if path is not None:
        # The rendered file holds the very bytes the activation service would send.
        headers = bundle_headers(name, resolved, current, digest, immutable=immutable)
        sent = await index.response(path, BUNDLE_MEDIA_TYPE, headers)
        if sent is not None:
            return sent
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
        immutable=immutable,
    )

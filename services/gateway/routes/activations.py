"""Activations of an uploaded picture, and of any image by its digest (immutable)."""

from __future__ import annotations

from cnn101.v1 import activations_pb2
from fastapi import APIRouter, Depends, Request, Response, UploadFile

from services.common.errors import ApiError, error_responses
from services.gateway.bundles import BundleKey, fetch_bundle
from services.gateway.images import ImageRejected
from services.gateway.published import require_visible_model
from services.gateway.responses import (
    BUNDLE_OPENAPI,
    bundle_etag,
    bundle_headers,
    bundle_response,
    fingerprint_of,
    not_modified,
    pinned_to,
)
from services.gateway.state import StateDep

# Unpublished models are invisible here (services/gateway/published.py).
router = APIRouter(tags=["activations"], dependencies=[Depends(require_visible_model)])


@router.post(
    "/api/activations",
    response_class=Response,
    responses={**BUNDLE_OPENAPI, **error_responses(400, 404, 413, 415, 422, 503)},
)
async def upload_activations(
    file: UploadFile, state: StateDep, model: str | None = None, version: int = 0
) -> Response:
    """Upload a picture (PNG, JPEG, WebP, BMP, GIF); get its activation bundle back.

    The bundle's immutable address is in ``Content-Location``; the picture itself is kept
    only as its 64x64 model input, addressed by ``X-Image-Digest``.
    """
    name = model or state.settings.model_name
    limit = state.settings.max_upload_bytes
    described = await state.model_version(name, version)
    size = int(described.description["input"]["shape"][0])
    try:
        image = await state.decoder.decode(
            lambda: file.read(limit + 1),  # once a decoder is free: a waiting upload stays spooled
            max_bytes=limit,
            max_pixels=state.settings.max_upload_pixels,
            max_decode_bytes=state.settings.max_decode_bytes,
            size=size,
        )
    except ImageRejected as rejected:
        raise ApiError(rejected.status, rejected.code, rejected.message) from rejected
    fingerprint = fingerprint_of(described.description)
    bundle = await fetch_bundle(
        state,
        BundleKey(name, described.version, fingerprint, image.digest),
        activations_pb2.GetActivationsRequest(pixels=image.pixels.tobytes()),
    )
    return bundle_response(
        bundle,
        model=name,
        version=described.version,
        fingerprint=fingerprint,
        digest=image.digest,
        immutable=False,
    )


@router.get(
    "/api/models/{name}/versions/{version}/activations/{digest}",
    response_class=Response,
    responses={
        **BUNDLE_OPENAPI,
        304: {"description": "Not modified"},
        **error_responses(400, 404, 503),
    },
)
async def activations_by_digest(
    name: str,
    version: int,
    digest: str,
    *,
    state: StateDep,
    request: Request,
    fingerprint: str | None = None,
) -> Response:
    """The bundle of an image already seen, by its digest. Cached for a year when the URL
    names the model's current ``fingerprint`` (``Content-Location`` gives that URL);
    otherwise revalidated by ETag, so a version exported again is seen at once."""
    digest = digest.lower()
    if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
        raise ApiError(400, "invalid_digest", "An image digest is 64 hexadecimal characters.")
    if version < 1:
        raise ApiError(400, "invalid_version", "Name a model version (1, 2, ...).")
    current = fingerprint_of((await state.model_version(name, version)).description)
    immutable = pinned_to(fingerprint, current)
    headers = bundle_headers(name, version, current, digest, immutable=immutable)
    etag = bundle_etag(name, version, current, digest)
    if (early := not_modified(request, etag, headers)) is not None:
        return early
    data = await fetch_bundle(
        state,
        BundleKey(name, version, current, digest),
        activations_pb2.GetActivationsRequest(image_digest=digest),
    )
    return bundle_response(
        data, model=name, version=version, fingerprint=current, digest=digest, immutable=immutable
    )

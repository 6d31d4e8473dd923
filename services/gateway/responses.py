"""HTTP responses for bundles and other immutable resources."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

BUNDLE_MEDIA_TYPE = "application/x-protobuf; messageType=cnn101.v1.ActivationBundle"
IMMUTABLE = "public, max-age=31536000, immutable"
BUNDLE_OPENAPI: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The activation bundle (`cnn101.v1.ActivationBundle`, see proto/)",
        "content": {BUNDLE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}
REVALIDATE = "no-cache"


def fingerprint_of(description: dict[str, Any]) -> str:
    """The exported files' fingerprint the activation service put in the description
    (services/common/model_store.py): what URLs and ETags pin besides the version."""
    return str(description.get("fingerprint", ""))


def pinned_to(requested: str | None, fingerprint: str) -> bool:
    """Whether a URL names exactly these files, and so may be cached for ever: a version
    exported again under its number gets a new fingerprint, hence new URLs."""
    return bool(fingerprint) and requested == fingerprint


def bundle_etag(model: str, version: int, fingerprint: str, digest: str) -> str:
    """Strong ETag: a bundle is fully determined by the exported model and the input."""
    return f'"{model}-{version}-{fingerprint}-{digest}"'


def bundle_headers(
    model: str, version: int, fingerprint: str, digest: str, *, immutable: bool
) -> dict[str, str]:
    location = f"/api/models/{model}/versions/{version}/activations/{digest}"
    return {
        "ETag": bundle_etag(model, version, fingerprint, digest),
        "Cache-Control": IMMUTABLE if immutable else REVALIDATE,
        "X-Model-Name": model,
        "X-Model-Version": str(version),
        "X-Model-Fingerprint": fingerprint,
        "X-Image-Digest": digest,
        "Content-Location": f"{location}?fingerprint={fingerprint}",
    }


def bundle_response(
    data: bytes,
    *,
    model: str,
    version: int,
    fingerprint: str,
    digest: str,
    immutable: bool,
) -> Response:
    """The bundle bytes with headers naming what they are."""
    headers = bundle_headers(model, version, fingerprint, digest, immutable=immutable)
    return Response(content=data, media_type=BUNDLE_MEDIA_TYPE, headers=headers)


def not_modified(request: Request, etag: str, headers: dict[str, str]) -> Response | None:
    """A 304 when the browser already holds ``etag``."""
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return None

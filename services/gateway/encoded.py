"""JSON encoded and compressed once, answered many times: for listings a whole class asks for.

The example list (250 entries) cost the gateway 4.4 ms of CPU per request when FastAPI
built, validated, serialised and gzipped it anew each time (``wrk`` against ``make run``,
docs/sizing.md); every student's explorer asks for it when the learning phase opens. Its
content only changes with the model version and the worker's rendering, so the route keeps
the bytes, their gzip and an ETag, and a request only chooses among them.

The choice itself (the codings a client accepts, a 304 for an ETag it holds) is shared with
the SPA's files (static.py) and the rendered example files (static_bundles.py).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json"


def accepted_codings(accept_encoding: str) -> set[str]:
    """Codings the client accepts (``q=0`` means refused)."""
    accepted = set()
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        if params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            accepted.add(coding.strip().lower())
    return accepted


def not_modified(request_headers: Headers, headers: dict[str, str]) -> Response | None:
    """A 304 with ``headers`` when the browser holds this entity already (its ETag, or
    ``*``, in If-None-Match)."""
    held = request_headers.get("if-none-match", "")
    if headers["ETag"] in held or held.strip() == "*":
        return Response(status_code=304, headers=headers)
    return None


@dataclass(frozen=True)
class EncodedJson:
    """One JSON document as sent: plain, gzipped (level 6, as the middleware), and its ETag."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, content: Any) -> EncodedJson:
        # The same bytes FastAPI's JSONResponse would send.
        body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        encoded = body.encode()
        digest = hashlib.sha256(encoded).hexdigest()[:32]
        return cls(encoded, gzip.compress(encoded, compresslevel=6, mtime=0), f'"{digest}"')

    def response(self, request: Request, cache_control: str) -> Response:
        """200 in the best coding the client takes, or 304 when it holds these bytes."""
        headers = {"ETag": self.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if (unchanged := not_modified(request.headers, headers)) is not None:
            return unchanged
        if "gzip" in accepted_codings(request.headers.get("accept-encoding", "")):
            headers["Content-Encoding"] = "gzip"
            return Response(self.gzipped, media_type=JSON_MEDIA_TYPE, headers=headers)
        return Response(self.body, media_type=JSON_MEDIA_TYPE, headers=headers)

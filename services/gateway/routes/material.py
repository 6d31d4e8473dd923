"""The conventional arm's material, forwarded as a stream both ways.

The study's catch-all forwarders (routes/study.py) read a body whole and send a response
whole, which is right for JSON and wrong for a 500 MB lecture video: here the upload flows
to the study service as it arrives (never held in memory, bounded by
``material_upload_timeout_seconds`` in all), and a file flows back to the browser with the
Range headers a ``<video>`` needs to seek (206, ``Content-Range``, ``Accept-Ranges``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from services.common.errors import ApiError, error_responses
from services.gateway.routes.study import UNAVAILABLE_MESSAGES
from services.gateway.state import StateDep

router = APIRouter(tags=["study"])
FORWARDED = {"x-access": "forwarded"}
UPLOAD_PATH = "/api/instructor/materials"
REQUEST_HEADERS = (
    "content-type",
    "content-length",
    "cookie",
    "authorization",
    "accept",
    "range",
    "if-range",
    "x-csrf-token",
)
RESPONSE_HEADERS = (
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "content-disposition",
    "cache-control",
    "etag",
    "last-modified",
    "x-content-type-options",
    "set-cookie",
)


def _headers(request: Request) -> dict[str, str]:
    headers = {k: v for k in REQUEST_HEADERS if (v := request.headers.get(k))}
    if request.client is not None:
        headers["x-forwarded-for"] = request.client.host
    return headers


def _unavailable(state: StateDep) -> ApiError:
    return ApiError(
        503,
        "study_unavailable",
        UNAVAILABLE_MESSAGES["study"],
        {"Retry-After": str(state.settings.retry_after_seconds)},
    )


async def _stream(state: StateDep, upstream_request: httpx.Request) -> Response:
    """Send ``upstream_request`` and relay the answer as it arrives."""
    try:
        upstream = await state.evaluation.send(upstream_request, stream=True)
    except httpx.HTTPError as error:
        raise _unavailable(state) from error

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError:
            return  # the study service went away mid-file: the browser sees a short body

    response = StreamingResponse(
        body(), status_code=upstream.status_code, background=BackgroundTask(upstream.aclose)
    )
    for name in RESPONSE_HEADERS:
        for value in upstream.headers.get_list(name):
            response.headers.append(name, value)
    return response


async def upload_material(request: Request, state: StateDep) -> Response:
    """An instructor's upload (the raw file), streamed to the study service."""
    upstream_request = state.evaluation.build_request(
        "POST",
        UPLOAD_PATH,
        params=request.query_params,
        content=request.stream(),
        headers=_headers(request),
    )
    try:
        async with asyncio.timeout(state.settings.material_upload_timeout_seconds):
            upstream = await state.evaluation.send(upstream_request)
    except (httpx.HTTPError, TimeoutError) as error:
        raise _unavailable(state) from error
    response = Response(content=upstream.content, status_code=upstream.status_code)
    for name in ("content-type", "cache-control", "set-cookie"):
        for value in upstream.headers.get_list(name):
            response.headers.append(name, value)
    return response


async def student_material_file(request: Request, state: StateDep) -> Response:
    """A student's signed material link: the file, streamed, Range answered upstream."""
    return await _stream(
        state,
        state.evaluation.build_request(
            "GET",
            "/api/student/material/file",
            params=request.query_params,
            headers=_headers(request),
        ),
    )


async def instructor_material_file(material_id: int, request: Request, state: StateDep) -> Response:
    """The instructor's own view of an upload, streamed the same way."""
    return await _stream(
        state,
        state.evaluation.build_request(
            "GET", f"/api/instructor/materials/{material_id}/file", headers=_headers(request)
        ),
    )


for _path, _endpoint, _method, _id in (
    (UPLOAD_PATH, upload_material, "POST", "forward_material_upload"),
    ("/api/student/material/file", student_material_file, "GET", "forward_student_material"),
    (
        "/api/instructor/materials/{material_id}/file",
        instructor_material_file,
        "GET",
        "forward_instructor_material",
    ),
):
    router.add_api_route(
        _path,
        _endpoint,
        methods=[_method],
        operation_id=_id,
        response_class=Response,
        responses=error_responses(503),
        openapi_extra=FORWARDED,
    )

"""One JSON error shape for every 4xx and 5xx: ``{"error": {"code", "message"}}``.

Messages are written for a student at a classroom computer. Nothing internal (stack
traces, hostnames, exception text of a library) reaches the response body.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kombu.exceptions import OperationalError as KombuOperationalError
from pydantic import BaseModel
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.openapi_errors import document_error_shape

log = logging.getLogger(__name__)
QUEUE_RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    """An error the gateway answers with ``status`` and a readable message."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure through :func:`error_response`."""
    document_error_shape(app)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = "not_found" if error.status_code == 404 else f"http_{error.status_code}"
        message = (
            "There is nothing at this address." if error.status_code == 404 else str(error.detail)
        )
        return error_response(error.status_code, code, message, dict(error.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()[:5]
        )
        return error_response(422, "invalid_request", f"The request is not valid: {problems}")

    @app.exception_handler(RedisError)
    @app.exception_handler(KombuOperationalError)
    async def queue_unavailable(_: Request, error: Exception) -> JSONResponse:
        # The job queue (Redis) is away: a 503 the page retries, not a 500.
        log.warning("job queue unavailable: %s", type(error).__name__)
        return error_response(
            503,
            "queue_unavailable",
            "Background jobs are not reachable right now; try again in a moment.",
            {"Retry-After": str(QUEUE_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=error)
        return error_response(
            500, "internal_error", "Something went wrong on the server; please try again."
        )


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer with."""
    descriptions = {
        400: "Bad request (for example a damaged picture or an invalid digest)",
        404: "Unknown model, version, example or image",
        413: "Upload too large (bytes or pixels)",
        415: "Not a picture format we read",
        422: "Malformed request",
        503: "A downstream service is unavailable; retry after `Retry-After` seconds",
    }
    return {
        status: {"model": ErrorBody, "description": descriptions[status]} for status in statuses
    }

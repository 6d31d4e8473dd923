"""One error shape for every service: ``{"error": {"code": ..., "message": ...}}``.

Every refusal, from any service, is an :class:`ApiError` rendered by the handlers that
:func:`install_error_handlers` adds; the browser's client reads this one shape. Messages are
written for the person at the screen: nothing internal (stack traces, hostnames, a library's
exception text) reaches a response body. A service adds handlers for its own dependencies
(the gateway's Redis, the study's database) beside these.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

logger = logging.getLogger(__name__)

NOT_FOUND_MESSAGE = "There is nothing at this address."
UNEXPECTED_MESSAGE = "Something went wrong on the server; please try again."


class ApiError(Exception):
    """A refusal the client can act on; raised anywhere, rendered by the handler."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_response(
    status_code: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}},
        status_code=status_code,
        headers=dict(headers) if headers else None,
    )


def describe_validation(error: RequestValidationError) -> str:
    """The first few problems, each as ``where: what`` (the body's own fields unprefixed)."""
    parts = []
    for problem in error.errors()[:5]:
        location = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
        parts.append(f"{location or 'body'}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts)


def status_code_name(status_code: int) -> str:
    """``404`` -> ``not_found``: the code of a refusal that has no more specific one."""
    try:
        return HTTPStatus(status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return f"http_{status_code}"


def install_error_handlers(app: FastAPI, unexpected_message: str = UNEXPECTED_MESSAGE) -> None:
    """Route every kind of failure through :func:`error_response`, and document the shape."""
    document_error_shape(app)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status_code, error.code, error.message, error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        default_detail = HTTPStatus(error.status_code).phrase
        if error.status_code == 404 and error.detail in (None, default_detail):
            message = NOT_FOUND_MESSAGE
        else:
            message = str(error.detail)
        return error_response(
            error.status_code,
            status_code_name(error.status_code),
            message,
            dict(error.headers or {}),
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(
            422, "invalid_request", f"The request is not valid: {describe_validation(error)}"
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _error: ClientDisconnect) -> JSONResponse:
        # The browser left mid-upload (a closed tab, a lost network): nothing went wrong
        # here, so one line in the log and no traceback. Nobody reads the answer.
        logger.info("client left during %s %s", request.method, request.url.path)
        return error_response(400, "client_disconnected", "The request was not finished.")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=error)
        return error_response(500, "internal_error", unexpected_message)


# --- the shape in the OpenAPI documents ------------------------------------------------

# The body every refusal has, as JSON Schema for the OpenAPI document.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


ERROR_DESCRIPTIONS = {
    400: "Bad request (for example a damaged picture or an invalid digest)",
    401: "Not signed in",
    403: "Not allowed",
    404: "Unknown resource",
    409: "Conflicts with the current state",
    413: "Request too large (bytes or pixels)",
    415: "Not a format we read",
    422: "Malformed request",
    503: "A downstream service is unavailable; retry after `Retry-After` seconds",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer with."""
    return {
        status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


def document_error_shape(app: FastAPI) -> None:
    """Say in the OpenAPI document what every operation may answer: any 4xx in the error
    shape (FastAPI's own 422 schema is not what the handlers send) and 503."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        error = {"content": {"application/json": {"schema": ERROR_SCHEMA}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {"description": "Malformed request", **error}
                responses.setdefault(
                    "4XX", {"description": "Refused; the message says why", **error}
                )
                responses.setdefault(
                    "503", {"description": "Unavailable; retry after `Retry-After`", **error}
                )
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

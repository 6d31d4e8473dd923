"""One error shape for every refusal: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.openapi_errors import document_error_shape

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal the client can act on; raised anywhere, rendered by the handler."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message


def error_response(
    status_code: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_code=status_code,
        content={"error": {"code": code, "message": message}},
        headers=headers,
    )


# Seconds a client waits before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 2


def _database_unavailable() -> JSONResponse:
    return error_response(
        503,
        "database_unavailable",
        "the study database is not reachable right now; nothing was stored; try again",
        {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        parts.append(f"{location or 'body'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    document_error_shape(app)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status_code, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        # A lost or refused connection is the database being away (restart, network), not
        # a bug: 503 with Retry-After, so clients retry; the transaction was rolled back.
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            logger.warning("database unavailable: %s", type(exc.orig).__name__)
            return _database_unavailable()
        logger.exception("database error", exc_info=exc)
        return error_response(500, "internal_error", "unexpected error; nothing was stored")

    @app.exception_handler(PoolTimeoutError)
    async def _pool_exhausted(_request: Request, _exc: PoolTimeoutError) -> JSONResponse:
        logger.warning("no database connection free within the pool timeout")
        return _database_unavailable()

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal_error", "unexpected error; nothing was stored")


class BodySizeLimit:
    """Refuse bodies above ``max_bytes`` before any handler reads them (413).

    ``uploads`` raises the limit for a few exact paths (the model studio's zips and models).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, uploads: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.uploads.get(scope.get("path", ""), self.max_bytes)
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        too_large = length is not None and (not length.isdigit() or int(length) > limit)
        if length is None and headers.get(b"transfer-encoding"):
            too_large, body = await self._read_chunked(receive, limit)
            if not too_large:
                receive = _replay(body)
        if too_large:
            response = error_response(
                413, "body_too_large", f"request bodies are limited to {limit} bytes"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _read_chunked(self, receive: Receive, limit: int) -> tuple[bool, bytes]:
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return True, b""
            chunks.append(chunk)
            more = message.get("more_body", False)
        return False, b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CrossSiteGuard:
    """Refuse state-changing requests a browser sent from a page of another origin (CSRF).

    The instructor's cookie is ``SameSite=Lax``, which does not cover a page on another
    port of the same host; ``Origin`` and ``Sec-Fetch-Site`` do. Requests without them
    (programs, the gateway forwarding a same-origin request) pass.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = {name.lower(): value for name, value in scope["headers"]}
            site = headers.get(b"sec-fetch-site", b"")
            origin = headers.get(b"origin")
            host = headers.get(b"x-forwarded-host", headers.get(b"host", b""))
            foreign = origin is not None and (
                origin == b"null"
                or origin.split(b"://", 1)[-1].lower() != host.split(b",")[0].strip().lower()
            )
            if site in (b"cross-site", b"same-site") or foreign:
                response = error_response(
                    403, "cross_site_request", "this request came from another site; refused"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

"""How a service answers when its database is away: 503 with Retry-After, never a 500.

A lost or refused connection is the database being away (restart, network), not a bug:
the transaction was rolled back, nothing was stored, and the client may retry.
"""

from __future__ import annotations

import logging
import sqlite3

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from services.common.errors import error_response

logger = logging.getLogger(__name__)

# Seconds a client waits before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 2


def _database_unavailable() -> JSONResponse:
    return error_response(
        503,
        "database_unavailable",
        "the database is not reachable right now; nothing was stored; try again",
        {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def install_database_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            logger.warning("database unavailable: %s", type(exc.orig).__name__)
            return _database_unavailable()
        logger.exception("database error", exc_info=exc)
        return error_response(500, "internal_error", "unexpected error; nothing was stored")

    @app.exception_handler(sqlite3.OperationalError)
    async def _sqlite_locked(_request: Request, exc: sqlite3.OperationalError) -> JSONResponse:
        # Raised as it is, not wrapped by SQLAlchemy, when a writer waited for SQLite's write
        # lock longer than its timeout (services/database/sqlite_writes.py).
        logger.warning("SQLite unavailable: %s", exc)
        return _database_unavailable()

    @app.exception_handler(PoolTimeoutError)
    async def _pool_exhausted(_request: Request, _exc: PoolTimeoutError) -> JSONResponse:
        logger.warning("no database connection free within the pool timeout")
        return _database_unavailable()

"""The gateway's error handlers: the shared shape (:mod:`services.common.errors`), plus a
503 the page retries when the job queue (Redis) is away.

Messages are written for a student at a classroom computer.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from services.common import errors
from services.common.errors import error_response

log = logging.getLogger(__name__)
QUEUE_RETRY_AFTER_SECONDS = 5


def install_error_handlers(app: FastAPI) -> None:
    errors.install_error_handlers(app)

    @app.exception_handler(RedisError)
    @app.exception_handler(KombuOperationalError)
    async def queue_unavailable(_: Request, error: Exception) -> JSONResponse:
        log.warning("job queue unavailable: %s", type(error).__name__)
        return error_response(
            503,
            "queue_unavailable",
            "Background jobs are not reachable right now; try again in a moment.",
            {"Retry-After": str(QUEUE_RETRY_AFTER_SECONDS)},
        )

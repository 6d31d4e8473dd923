"""Which models students and anonymous callers may see: the ones the instructors published.

The studio keeps the list (``GET /api/studio/published``); the gateway asks it at most every
few seconds and keeps the answer, so a class's requests cost the studio nothing. An
unpublished model is absent from ``/api/models`` and answers 404 on every route that names
it (description, weights, activations, examples), as if it did not exist, except to a
signed-in instructor, whom the dashboard sends to preview a model before publishing it.

When the studio cannot be reached, the last list it gave stays in force; before any answer,
only the gateway's default model is visible (fail closed: an outage publishes nothing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated

import httpx
from fastapi import Depends, Request

from services.common.errors import ApiError
from services.gateway.state import StateDep

logger = logging.getLogger(__name__)
PUBLISHED_PATH = "/api/studio/published"
INSTRUCTOR_COOKIE = "cnn101_instructor"
# After a failed ask, try again this soon (the list in force meanwhile is the last one).
RETRY_SECONDS = 2.0


class PublishedModels:
    """The published names, asked of the studio at most every ``ttl_seconds``."""

    def __init__(self, studio: httpx.AsyncClient, default: str, ttl_seconds: float) -> None:
        self.studio = studio
        self.default = default
        self.ttl_seconds = ttl_seconds
        self._names: frozenset[str] | None = None
        self._next_ask = 0.0
        self._lock = asyncio.Lock()

    async def names(self) -> frozenset[str]:
        if time.monotonic() < self._next_ask and self._names is not None:
            return self._names
        async with self._lock:  # one ask at a time; the others take its answer
            if time.monotonic() >= self._next_ask or self._names is None:
                await self._ask()
        return self._names if self._names is not None else frozenset({self.default})

    async def _ask(self) -> None:
        try:
            answer = await self.studio.get(PUBLISHED_PATH, timeout=2.0)
            answer.raise_for_status()
            listed = {str(model["name"]) for model in answer.json()["models"]}
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            logger.warning("the studio's published models could not be read: %s", error)
            self._next_ask = time.monotonic() + RETRY_SECONDS
            return
        self._names = frozenset(listed | {self.default})
        self._next_ask = time.monotonic() + self.ttl_seconds

    async def visible(self, name: str) -> bool:
        return name in await self.names()


async def _is_instructor(request: Request, state: StateDep) -> bool:
    """Whether the request carries a valid instructor session (the study service says)."""
    cookie = request.headers.get("cookie")
    if not cookie or INSTRUCTOR_COOKIE not in request.cookies:
        return False
    try:
        me = await state.evaluation.get("/api/instructor/me", headers={"cookie": cookie})
    except httpx.HTTPError:
        return False
    return me.status_code == 200


async def get_published(request: Request) -> PublishedModels:
    published: PublishedModels = request.app.state.published
    return published


PublishedDep = Annotated[PublishedModels, Depends(get_published)]


async def require_visible_model(request: Request, state: StateDep, published: PublishedDep) -> None:
    """404 for a route naming an unpublished model, unless an instructor asks."""
    name = request.path_params.get("name") or request.query_params.get("model")
    if name is None or await published.visible(name):
        return
    if await _is_instructor(request, state):
        return
    raise ApiError(404, "not_found", f"no model {name!r}")

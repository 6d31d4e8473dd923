"""Presenter mode over HTTP: an instructor presents, students follow live (Server-Sent Events).

``POST /api/presentations`` (an instructor's session, checked with the evaluation service)
gives a short code for the class and a secret token for the presenting page;
``PUT .../state`` with that token changes what every follower sees; ``GET .../events`` is
the followers' stream: the current state first, then each change with its sequence number
as the event id (``Last-Event-ID`` on a reconnect skips a state already shown), and a
comment line every heartbeat so proxies keep the connection open.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError

from services.common.errors import ApiError, error_responses
from services.gateway.presentations import (
    CODE_PATTERN,
    END_FRAME,
    HubDep,
    NotPresenterError,
    PresentationHub,
    PresentationNotFoundError,
    SharedState,
    normalise_code,
    state_frame,
)
from services.gateway.state import StateDep

router = APIRouter(tags=["presentations"])

MAX_STATE_BYTES = 2048
TOKEN_HEADER = "X-Presenter-Token"
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, description="e.g. K7P-2QX")]
TokenHeader = Annotated[
    str | None, Header(alias=TOKEN_HEADER, description="from POST /api/presentations")
]


class PresentationCreated(BaseModel):
    code: str
    presenter_token: str
    expires_in_seconds: int


class PresentationPublic(BaseModel):
    code: str
    seq: int
    state: SharedState
    followers: int


class StateChanged(BaseModel):
    seq: int
    followers: int


NOT_FOUND = "No presentation has this code: it has ended, or the code is mistyped."


@contextmanager
def _redis_guard(request: Request) -> Iterator[None]:
    """Redis away: 503 with Retry-After (the hub reconnects by itself)."""
    try:
        yield
    except RedisError as error:
        raise ApiError(
            503,
            "presentation_unavailable",
            "Presenter mode is not reachable right now; the page will try again in a moment.",
            {"Retry-After": str(request.app.state.gateway.settings.retry_after_seconds)},
        ) from error
    except PresentationNotFoundError as error:
        raise ApiError(404, "presentation_not_found", NOT_FOUND) from error
    except NotPresenterError as error:
        raise ApiError(
            403, "not_presenter", "Only the page that started this presentation can change it."
        ) from error


def _require_token(token: str | None) -> str:
    if not token:
        raise ApiError(
            401,
            "presenter_token_required",
            f"Changing a presentation needs the {TOKEN_HEADER} header its start returned.",
        )
    return token


async def _require_instructor(request: Request, state: StateDep) -> None:
    """The gateway keeps no sessions: the evaluation service says whose cookie this is."""
    cookie = request.headers.get("cookie")
    if cookie is None:
        raise ApiError(401, "not_logged_in", "Log in as an instructor to present.")
    try:
        me = await state.evaluation.get("/api/instructor/me", headers={"cookie": cookie})
    except httpx.HTTPError as error:
        raise ApiError(
            503,
            "study_unavailable",
            "The instructor service is not reachable right now; try again in a moment.",
            {"Retry-After": str(state.settings.retry_after_seconds)},
        ) from error
    if me.status_code != 200:
        raise ApiError(401, "not_logged_in", "Log in as an instructor to present.")


async def _state_from_body(request: Request) -> SharedState:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError(415, "json_required", "Send the state as application/json.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_STATE_BYTES:
        raise ApiError(413, "state_too_large", f"A state is at most {MAX_STATE_BYTES} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_STATE_BYTES:
            raise ApiError(413, "state_too_large", f"A state is at most {MAX_STATE_BYTES} bytes.")
    try:
        return SharedState.model_validate_json(bytes(body))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
            for item in error.errors()[:5]
        )
        raise ApiError(422, "invalid_state", f"The state is not valid: {problems}") from error


STATE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SharedState.model_json_schema()}},
    }
}


# Who may call (docs/security.md's access table, scripts/access_table.py): these handlers
# check the caller themselves, so they say so.
INSTRUCTORS_ONLY = {"x-access": "instructor"}
PRESENTER_ONLY = {"x-access": "presenter"}


@router.post(
    "/api/presentations",
    status_code=201,
    responses=error_responses(503),
    openapi_extra=INSTRUCTORS_ONLY,
)
async def start_presentation(request: Request, state: StateDep, hub: HubDep) -> PresentationCreated:
    """Start presenting (instructors only): a code for the class, a token for this page."""
    await _require_instructor(request, state)
    with _redis_guard(request):
        code, token = await hub.create(SharedState())
    return PresentationCreated(code=code, presenter_token=token, expires_in_seconds=hub.ttl_seconds)


@router.get("/api/presentations/{code}", responses=error_responses(404, 503))
async def presentation(code: CodePath, request: Request, hub: HubDep) -> PresentationPublic:
    """The current state and how many students follow (the presenter's banner polls it)."""
    code = normalise_code(code)
    with _redis_guard(request):
        snapshot = await hub.snapshot(code)
        if snapshot is None:
            raise PresentationNotFoundError
        followers = await hub.follower_count(code)
    return PresentationPublic(
        code=code,
        seq=snapshot.seq,
        state=SharedState.model_validate_json(snapshot.state),
        followers=followers,
    )


@router.put(
    "/api/presentations/{code}/state",
    responses=error_responses(404, 413, 503),
    openapi_extra=STATE_BODY | PRESENTER_ONLY,
)
async def change_state(
    code: CodePath, request: Request, hub: HubDep, token: TokenHeader = None
) -> StateChanged:
    """The presenter's new state, pushed to every follower (unchanged: nothing is sent)."""
    token = _require_token(token)
    shared = await _state_from_body(request)
    with _redis_guard(request):
        code = normalise_code(code)
        seq = await hub.change(code, token, shared)
        followers = await hub.follower_count(code)
    return StateChanged(seq=seq, followers=followers)


@router.delete(
    "/api/presentations/{code}",
    status_code=204,
    response_class=Response,
    responses=error_responses(404, 503),
    openapi_extra=PRESENTER_ONLY,
)
async def end_presentation(
    code: CodePath, request: Request, hub: HubDep, token: TokenHeader = None
) -> Response:
    """End it: followers get an ``end`` event and their explorer stays where it was."""
    token = _require_token(token)
    with _redis_guard(request):
        await hub.end(normalise_code(code), token)
    return Response(status_code=204)


@router.get(
    "/api/presentations/{code}/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"},
        **error_responses(404, 503),
    },
)
async def follow(
    code: CodePath,
    request: Request,
    hub: HubDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Follow the presenter: ``state`` events (id = sequence), ``end`` when it is over."""
    code = normalise_code(code)
    with _redis_guard(request):
        if await hub.snapshot(code) is None:
            raise PresentationNotFoundError
    seen = int(last_event_id) if last_event_id and last_event_id.isdigit() else -1
    return StreamingResponse(
        _events(hub, code, seen),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )


async def _events(hub: PresentationHub, code: str, seen: int) -> AsyncIterator[bytes]:
    async with hub.follow(code) as follower:
        # Read again once registered, so no change falls between the read and the queue.
        try:
            snapshot = await hub.snapshot(code)
        except RedisError:
            snapshot = None
        if snapshot is None:
            yield END_FRAME
            return
        # EventSource waits this long before reconnecting after a dropped connection.
        yield b"retry: 1000\n\n"
        last = seen
        if snapshot.seq != seen:
            yield state_frame(snapshot.seq, snapshot.state)
            last = snapshot.seq
        while True:
            try:
                event = await asyncio.wait_for(follower.queue.get(), hub.heartbeat_seconds)
            except TimeoutError:
                yield b": heartbeat\n\n"
                continue
            if event.ended:
                yield END_FRAME
                return
            if event.seq > last:
                last = event.seq
                yield event.frame

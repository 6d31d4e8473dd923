"""FastAPI dependencies of the services that keep a database: a session per request, and
the request's time from the app's clock (tests hand in their own)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, cast

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from services.database.engine import SessionFactory

Clock = Callable[[], datetime]


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session from ``app.state.session_factory``, rolled back unless the handler committed.

    Why async: a sync generator dependency costs two thread-pool hops per request (enter and
    exit), a large part of a quiz answer's CPU (docs/sizing.md). Making a session does no
    I/O, and neither does closing one whose handler committed (the commit gave its
    connection back); only a session still inside a transaction is rolled back in a
    thread, shielded so a client that leaves cannot strand its connection.
    """
    async with _session_of(cast(SessionFactory, request.app.state.session_factory)) as session:
        yield session


async def get_read_db(request: Request) -> AsyncIterator[Session]:
    """As :func:`get_db`, from ``app.state.read_session_factory``: for requests that only
    read (services/database/engine.py, make_read_session_factory)."""
    factory = cast(SessionFactory, request.app.state.read_session_factory)
    async with _session_of(factory) as session:
        yield session


@asynccontextmanager
async def _session_of(factory: SessionFactory) -> AsyncIterator[Session]:
    session = factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(_discard, session)
        else:
            session.close()


def _discard(session: Session) -> None:
    session.rollback()
    session.close()


async def get_now(request: Request) -> datetime:
    """The server's time for this request, from ``app.state.clock``."""
    clock = cast(Clock, request.app.state.clock)
    return clock()


SessionDep = Annotated[Session, Depends(get_db)]
ReadSessionDep = Annotated[Session, Depends(get_read_db)]
NowDep = Annotated[datetime, Depends(get_now)]

"""FastAPI dependencies of the services that keep a database: a session per request, and
the request's time from the app's clock (tests hand in their own)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.database.engine import SessionFactory, session_scope

Clock = Callable[[], datetime]


def get_db(request: Request) -> Iterator[Session]:
    """A session from ``app.state.session_factory``, rolled back unless the handler committed."""
    factory = cast(SessionFactory, request.app.state.session_factory)
    yield from session_scope(factory)


def get_now(request: Request) -> datetime:
    """The server's time for this request, from ``app.state.clock``."""
    clock = cast(Clock, request.app.state.clock)
    return clock()


SessionDep = Annotated[Session, Depends(get_db)]
NowDep = Annotated[datetime, Depends(get_now)]

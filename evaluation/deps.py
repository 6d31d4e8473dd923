"""Dependencies shared by the routes: the settings, a database session, the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from evaluation.db import SessionFactory, session_scope
from evaluation.settings import EvaluationSettings

Clock = Callable[[], datetime]


def get_settings(request: Request) -> EvaluationSettings:
    return cast(EvaluationSettings, request.app.state.settings)


def get_db(request: Request) -> Iterator[Session]:
    factory = cast(SessionFactory, request.app.state.session_factory)
    yield from session_scope(factory)


def get_now(request: Request) -> datetime:
    """The server's time for this request; tests hand in their own clock."""
    clock = cast(Clock, request.app.state.clock)
    return clock()


MAX_ROW_ID = 2**31 - 1
# Ids in paths are bounded: a 20-digit id is a 422, not a database overflow.
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
SettingsDep = Annotated[EvaluationSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_db)]
NowDep = Annotated[datetime, Depends(get_now)]

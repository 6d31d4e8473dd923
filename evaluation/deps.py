"""Dependencies shared by the routes: the settings, a database session, the clock, the
cache of open studies' forms."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Path, Request

from evaluation.items.snapshot import StudyFormsCache
from evaluation.settings import EvaluationSettings
from services.database.dependencies import Clock, NowDep, ReadSessionDep, SessionDep

__all__ = [
    "Clock",
    "NowDep",
    "ReadSessionDep",
    "RowId",
    "SessionDep",
    "SettingsDep",
    "StudyFormsDep",
]


async def get_settings(request: Request) -> EvaluationSettings:
    """Async, so FastAPI calls it on the event loop instead of sending it to a thread."""
    return cast(EvaluationSettings, request.app.state.settings)


async def get_study_forms(request: Request) -> StudyFormsCache:
    """The app's cache of open studies' forms (evaluation/items/snapshot.py)."""
    return cast(StudyFormsCache, request.app.state.study_forms)


StudyFormsDep = Annotated[StudyFormsCache, Depends(get_study_forms)]

MAX_ROW_ID = 2**31 - 1
# Ids in paths are bounded: a 20-digit id is a 422, not a database overflow.
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
SettingsDep = Annotated[EvaluationSettings, Depends(get_settings)]

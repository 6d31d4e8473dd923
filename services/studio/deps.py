"""Dependencies the routes share: the settings and the job queue (the database session and
the clock are the shared ones of :mod:`services.database.dependencies`)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from services.database.dependencies import Clock, NowDep, SessionDep
from services.studio.job_queue import ModelJobQueue
from services.studio.settings import StudioSettings

__all__ = ["Clock", "ModelQueueDep", "NowDep", "SessionDep", "SettingsDep"]


async def get_settings(request: Request) -> StudioSettings:
    """Async (as get_model_queue): a sync dependency costs a thread-pool hop per request."""
    return cast(StudioSettings, request.app.state.settings)


async def get_model_queue(request: Request) -> ModelJobQueue:
    return cast(ModelJobQueue, request.app.state.model_queue)


SettingsDep = Annotated[StudioSettings, Depends(get_settings)]
ModelQueueDep = Annotated[ModelJobQueue, Depends(get_model_queue)]

"""What the studio writes to its audit log, and the one way it writes it.

The log itself (append-only table, paging, CSV) is services/database/audit.py; this module
names the studio's actions in one place (docs/security.md lists them). A refusal on
another instructor's resource is written in its own transaction before the request fails.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, NoReturn

from fastapi import Request
from sqlalchemy.orm import Session

from services.common.errors import ApiError
from services.database import audit
from services.studio.auth import Instructor
from services.studio.models import StudioAuditEntry


class Action(StrEnum):
    PUBLISH = "model.publish"
    UNPUBLISH = "model.unpublish"
    TRAIN = "model.train"
    IMPORT = "model.import"
    CANCEL = "job.cancel"
    SHARE = "model.share"
    DATASET_UPLOAD = "dataset.upload"


def record(
    session: Session,
    request: Request,
    now: datetime,
    action: Action,
    instructor: Instructor,
    *,
    target: str | None = None,
    refused: bool = False,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an entry to ``session``: committed with the change it records."""
    audit.record(
        session,
        StudioAuditEntry,
        at=now,
        action=action.value,
        actor_id=instructor.id,
        actor=instructor.email,
        target=target,
        client=request.client.host if request.client else None,
        outcome="refused" if refused else "ok",
        detail=detail,
    )


def refuse(
    session: Session,
    request: Request,
    now: datetime,
    *,
    action: Action,
    instructor: Instructor,
    target: str,
    error: ApiError,
) -> NoReturn:
    """Keep the refused attempt (its own transaction), then fail the request with ``error``."""
    session.rollback()
    record(
        session,
        request,
        now,
        action,
        instructor,
        target=target,
        refused=True,
        detail={"why": error.code},
    )
    session.commit()
    raise error

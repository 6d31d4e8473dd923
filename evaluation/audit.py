"""What the study service writes to its audit log, and the one way it writes it.

The log itself (append-only table, paging, CSV) is services/database/audit.py; this module
names the study's actions in one place (docs/security.md lists them) and fills in who and
from where from the request.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from evaluation.models import AuditEntry, Instructor
from services.database import audit


class Action(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    PASSWORD_CHANGE = "password.change"
    INSTRUCTOR_CREATE = "instructor.create"
    STUDY_CREATE = "study.create"
    STUDY_UPDATE = "study.update"
    STUDY_OPEN = "study.open"
    STUDY_CLOSE = "study.close"
    STUDY_SHARE = "study.share"
    EXPORT = "export"
    REPORT_BUILD = "report.build"
    REPORT_DOWNLOAD = "report.download"
    ITEMS_IMPORT = "items.import"
    ITEMS_UPDATE = "items.update"
    ITEMS_RETIRE = "items.retire"
    MATERIAL_UPLOAD = "material.upload"
    MATERIAL_DELETE = "material.delete"
    WITHDRAWAL = "participant.withdraw"


def client_of(request: Request) -> str | None:
    """The caller's address (uvicorn resolves the gateway's X-Forwarded-For from loopback)."""
    return request.client.host if request.client else None


def record(
    session: Session,
    request: Request,
    now: datetime,
    action: Action,
    *,
    instructor: Instructor | None = None,
    actor: str | None = None,
    target: str | None = None,
    refused: bool = False,
    detail: dict[str, Any] | None = None,
    keep_client: bool = True,
) -> None:
    """Add an entry to ``session``: committed with the change it records."""
    audit.record(
        session,
        AuditEntry,
        at=now,
        action=action.value,
        actor_id=instructor.id if instructor else None,
        actor=actor or (instructor.email if instructor else None),
        target=target,
        client=client_of(request) if keep_client else None,
        outcome="refused" if refused else "ok",
        detail=detail,
    )

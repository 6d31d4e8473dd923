"""The study's audit log for the admin: a page of entries as JSON, or all of it as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from evaluation.auth import AdminDep
from evaluation.deps import SessionDep
from evaluation.models import AuditEntry
from services.database import audit
from services.database.engine import SessionFactory

router = APIRouter(prefix="/api/instructor", tags=["audit"])


class AuditEntryPublic(BaseModel):
    id: int
    at: str
    actor_id: int | None
    actor: str | None
    action: str
    target: str | None
    client: str | None
    outcome: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    entries: list[AuditEntryPublic]
    # Ask again with ``before_id`` set to this for older entries; None: no more.
    next_before_id: int | None


def audit_page(
    session: SessionDep, table: type[Any], before_id: int | None, limit: int
) -> AuditPage:
    rows = audit.page(session, table, before_id=before_id, limit=limit)
    entries = [
        AuditEntryPublic(
            id=row.id,
            at=row.at.isoformat(),
            actor_id=row.actor_id,
            actor=row.actor,
            action=row.action,
            target=row.target,
            client=row.client,
            outcome=row.outcome,
            detail=row.detail,
        )
        for row in rows
    ]
    more = len(rows) == limit and rows[-1].id > 1
    return AuditPage(entries=entries, next_before_id=rows[-1].id if more else None)


@router.get("/audit")
def read_audit(
    _admin: AdminDep,
    session: SessionDep,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
) -> AuditPage:
    """The newest entries first (logins, studies, exports, withdrawals ...)."""
    return audit_page(session, AuditEntry, before_id, limit)


def _csv(sessions: SessionFactory) -> Iterator[str]:
    """Its own session, open while the response streams (the request's closes before)."""
    with sessions() as session:
        yield from audit.csv_lines(audit.all_entries(session, AuditEntry))


@router.get(
    "/audit.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "every entry, oldest first"}},
)
def export_audit(_admin: AdminDep, session: SessionDep, request: Request) -> StreamingResponse:
    """Every entry as CSV, oldest first, streamed in batches."""
    session.close()  # the sign-in check's transaction ends here, not after the stream
    return StreamingResponse(
        _csv(request.app.state.session_factory),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cnn101-study-audit.csv"'},
    )

"""The audit log over HTTP, the same for every service: a page as JSON, all of it as CSV.

Each service mounts :func:`audit_router` with its own table and its own admin check, so
the dashboard reads the study's and the studio's logs in one shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from services.database import audit
from services.database.dependencies import SessionDep
from services.database.engine import SessionFactory


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


def audit_router(
    prefix: str, table: type[Any], require_admin: Callable[..., Any], filename: str
) -> APIRouter:
    """``GET {prefix}/audit`` and ``GET {prefix}/audit.csv``, for ``require_admin`` only."""
    router = APIRouter(prefix=prefix, tags=["audit"])
    admin_only = [Depends(require_admin)]

    @router.get("/audit", dependencies=admin_only)
    def read_audit(
        session: SessionDep,
        before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
        limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
    ) -> AuditPage:
        """The newest entries first."""
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
        more = len(rows) == limit
        return AuditPage(entries=entries, next_before_id=rows[-1].id if more else None)

    def csv_text(sessions: SessionFactory) -> Iterator[str]:
        """Its own session, open while the response streams."""
        with sessions() as session:
            yield from audit.csv_lines(audit.all_entries(session, table))

    @router.get(
        "/audit.csv",
        dependencies=admin_only,
        response_class=StreamingResponse,
        responses={200: {"content": {"text/csv": {}}, "description": "every entry, oldest first"}},
    )
    def export_audit(session: SessionDep, request: Request) -> StreamingResponse:
        """Every entry as CSV, oldest first, streamed in batches."""
        session.close()  # the sign-in check's transaction ends here, not after the stream
        return StreamingResponse(
            csv_text(request.app.state.session_factory),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return router

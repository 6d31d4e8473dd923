"""An append-only audit log: who did what, when, from where, and whether it was allowed.

Each service that keeps a database keeps its own log table (the study: logins, studies,
exports, withdrawals; the studio: publishes, imports, trainings), with the columns of
:class:`AuditColumns`. Rows are only ever inserted: the table carries database triggers
(:func:`append_only_statements`, installed by each service's migration) that refuse any
UPDATE or DELETE, so not even a bug in our own code, or a session with the application's
credentials through the ORM, rewrites history.

An entry is written in the same transaction as what it records, except for refusals (a
failed login), which are committed on their own: the request that caused them fails.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.database.schema import UTCDateTime

Outcome = Literal["ok", "refused"]
CSV_COLUMNS = ("id", "at", "actor_id", "actor", "action", "target", "client", "outcome", "detail")
MAX_PAGE = 500


class AuditColumns:
    """The columns of every audit table (a mixin for a service's declarative base)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The instructor's id in the study service (None: an anonymous caller).
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # What the caller said they were (the e-mail of a login attempt, say), for reading.
    actor: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    client: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditRow(Protocol):
    id: int
    at: datetime
    actor_id: int | None
    actor: str | None
    action: str
    target: str | None
    client: str | None
    outcome: str
    detail: dict[str, Any]


def record(
    session: Session,
    table: type[Any],
    *,
    at: datetime,
    action: str,
    actor_id: int | None = None,
    actor: str | None = None,
    target: str | None = None,
    client: str | None = None,
    outcome: Outcome = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one entry to ``session`` (the caller commits it with what it records)."""
    session.add(
        table(
            at=at,
            actor_id=actor_id,
            actor=actor[:254] if actor else actor,
            action=action,
            target=target[:200] if target else target,
            client=client[:64] if client else client,
            outcome=outcome,
            detail=detail or {},
        )
    )


def page(
    session: Session, table: type[Any], *, before_id: int | None = None, limit: int = 100
) -> Sequence[Any]:
    """The newest entries first, ``limit`` at most, older than ``before_id`` if given."""
    query = select(table).order_by(table.id.desc()).limit(max(1, min(limit, MAX_PAGE)))
    if before_id is not None:
        query = query.where(table.id < before_id)
    return session.scalars(query).all()


def all_entries(session: Session, table: type[Any], batch: int = 1000) -> Iterator[Any]:
    """Every entry, oldest first, read in batches (an export never holds the whole log)."""
    after = 0
    while True:
        rows = session.scalars(
            select(table).where(table.id > after).order_by(table.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def csv_lines(rows: Iterable[AuditRow]) -> Iterator[str]:
    """The entries as CSV text, header first, one chunk per row (for a streamed export)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.id,
                row.at.isoformat(),
                "" if row.actor_id is None else row.actor_id,
                row.actor or "",
                row.action,
                row.target or "",
                row.client or "",
                row.outcome,
                _flat(row.detail),
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _flat(detail: dict[str, Any]) -> str:
    return "; ".join(f"{key}={value}" for key, value in sorted(detail.items()))


def append_only_statements(table: str, dialect: str) -> list[str]:
    """DDL that makes ``table`` refuse UPDATE and DELETE, for ``postgresql`` or ``sqlite``."""
    if dialect == "postgresql":
        function = f"{table}_append_only"
        return [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        ]
    raise ValueError(f"no append-only triggers for the {dialect} dialect")


def drop_append_only_statements(table: str, dialect: str) -> list[str]:
    """The reverse of :func:`append_only_statements` (for a migration's downgrade)."""
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_append_only()",
        ]
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
    ]

"""The audit tables of both services, built by their migrations, refuse to be rewritten."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.exc import DatabaseError

from evaluation.migrations import upgrade_database as upgrade_study
from evaluation.models import AuditEntry
from services.database import audit
from services.database.engine import make_engine, make_session_factory
from services.studio.migrations import upgrade_database as upgrade_studio
from services.studio.models import StudioAuditEntry
from tests.databases import PostgresDatabases

START = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
LOGS: list[tuple[type[Any], Callable[[Engine], None]]] = [
    (AuditEntry, upgrade_study),
    (StudioAuditEntry, upgrade_studio),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    return databases.create()


@pytest.mark.parametrize(("table", "upgrade"), LOGS, ids=["study", "studio"])
def test_entries_are_kept_in_order_and_cannot_be_changed_or_deleted(
    fresh_url: str, table: type[Any], upgrade: Callable[[Engine], None]
) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            for minute in range(3):
                audit.record(
                    session,
                    table,
                    at=START + timedelta(minutes=minute),
                    action="login",
                    actor="teacher@school.example",
                    client="10.0.0.7",
                    outcome="refused" if minute == 1 else "ok",
                    detail={"minute": minute},
                )
            session.commit()
            newest = audit.page(session, table, limit=2)
            assert [row.detail["minute"] for row in newest] == [2, 1]
            older = audit.page(session, table, before_id=newest[-1].id)
            assert [row.detail["minute"] for row in older] == [0]
            everything = list(audit.all_entries(session, table, batch=2))
            assert [row.detail["minute"] for row in everything] == [0, 1, 2]
        with sessions() as session:
            with pytest.raises(DatabaseError, match="append-only"):
                session.execute(update(table).values(outcome="ok"))
                session.flush()
            session.rollback()
            with pytest.raises(DatabaseError, match="append-only"):
                session.execute(delete(table))
            session.rollback()
            if engine.dialect.name == "postgresql":
                with pytest.raises(DatabaseError, match="append-only"):
                    session.execute(text(f"TRUNCATE {table.__tablename__}"))
                session.rollback()
            assert len(audit.page(session, table)) == 3
    finally:
        engine.dispose()


def test_the_csv_export_has_a_header_and_one_line_per_entry() -> None:
    entry = StudioAuditEntry(
        id=7,
        at=START,
        actor_id=3,
        actor="a@school.example",
        action="model.publish",
        target="my-model",
        client="10.0.0.9",
        outcome="ok",
        detail={"published": True, "version": 2},
    )
    lines = "".join(audit.csv_lines([entry])).splitlines()
    assert lines == [
        "id,at,actor_id,actor,action,target,client,outcome,detail",
        "7,2026-12-05T08:00:00+00:00,3,a@school.example,model.publish,my-model,10.0.0.9,ok,"
        "published=True; version=2",
    ]

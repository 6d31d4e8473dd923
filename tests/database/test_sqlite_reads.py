"""On SQLite, sessions for requests that only read neither take nor wait for the write lock.

Every other transaction holds SQLite's one write lock from its start (``BEGIN IMMEDIATE``,
services/database/engine.py). A read-only session reads a snapshot instead, so a student's
page reload does not queue behind a class's answers; and a write in it fails at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from services.database import sqlite_writes
from services.database.engine import (
    make_engine,
    make_read_session_factory,
    make_session_factory,
)


@pytest.fixture(autouse=True)
def _short_lock_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A transaction that waits for the held write lock fails within 0.5 s, not 30."""
    monkeypatch.setattr(sqlite_writes, "WRITE_LOCK_TIMEOUT_SECONDS", 0.5)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite file with one committed note."""
    made = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with made.begin() as connection:
        connection.execute(text("CREATE TABLE note (body TEXT NOT NULL)"))
        connection.execute(text("INSERT INTO note VALUES ('committed')"))
    yield made
    made.dispose()


def test_a_read_sees_the_committed_snapshot_while_a_writer_holds_the_lock(
    engine: Engine,
) -> None:
    with make_session_factory(engine)() as writer:
        writer.execute(text("INSERT INTO note VALUES ('not yet committed')"))
        started = time.monotonic()
        with make_read_session_factory(engine)() as reader:
            bodies = reader.scalars(text("SELECT body FROM note")).all()
        assert bodies == ["committed"]
        assert time.monotonic() - started < 0.4  # it did not wait for the lock
        # while an ordinary session does wait, and gives up
        with make_session_factory(engine)() as other, pytest.raises(Exception, match="locked"):
            other.execute(text("SELECT 1"))


def test_a_write_in_a_read_session_fails_and_the_connection_writes_again_later(
    engine: Engine,
) -> None:
    with make_read_session_factory(engine)() as reader, pytest.raises(OperationalError):
        reader.execute(text("INSERT INTO note VALUES ('sneaked in')"))
    # A connection that just read: its next transaction writes as before.
    connection = engine.raw_connection()
    dbapi = connection.driver_connection
    dbapi.begin_read()  # type: ignore[union-attr]
    dbapi.rollback()  # type: ignore[union-attr]
    dbapi.begin_immediate()  # type: ignore[union-attr]
    dbapi.execute("INSERT INTO note VALUES ('written')")  # type: ignore[union-attr]
    dbapi.commit()  # type: ignore[union-attr]
    connection.close()
    with make_read_session_factory(engine)() as reader:
        assert reader.scalars(text("SELECT body FROM note")).all() == ["committed", "written"]

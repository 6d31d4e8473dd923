"""On SQLite, sessions for requests that only read neither take nor wait for the write lock.

Every other transaction holds SQLite's one write lock from its start (``BEGIN IMMEDIATE``,
services/database/engine.py). A read-only session reads a snapshot instead, so a student's
page reload does not queue behind a class's answers; and a write in it fails at once.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text
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


def _table(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (body TEXT NOT NULL)"))
        connection.execute(text("INSERT INTO note VALUES ('committed')"))
    engine.dispose()


def test_a_read_sees_the_committed_snapshot_while_a_writer_holds_the_lock(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _table(url)
    engine = make_engine(url)
    try:
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
    finally:
        engine.dispose()


def test_a_write_in_a_read_session_fails_and_the_connection_writes_again_later(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _table(url)
    engine = make_engine(url)
    try:
        with make_read_session_factory(engine)() as reader, pytest.raises(OperationalError):
            reader.execute(text("INSERT INTO note VALUES ('sneaked in')"))
        # The pool's one connection just read; the next transaction on it writes as before.
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
    finally:
        engine.dispose()

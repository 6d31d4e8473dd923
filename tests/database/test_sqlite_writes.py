"""SQLite writers of one process queue on the engine's lock, not in SQLite's busy handler."""

from __future__ import annotations

import gc
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from services.database.engine import make_engine

THREADS = 8
TRANSACTIONS_PER_THREAD = 15


def _engine_without_busy_wait(path: Path, *, create: bool = True) -> Engine:
    """An engine whose SQLite gives up at once when the write lock is taken.

    With SQLite's busy handler off, two writers of this process that met inside SQLite
    would fail with "database is locked"; only the process's own queue keeps them apart.
    """
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    if create:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
            connection.execute(text("INSERT INTO counter VALUES (0)"))
    return engine


@pytest.mark.parametrize("engines", [1, 2], ids=["one process", "two processes"])
def _write_in_thread(engine: Engine, statement: str) -> tuple[threading.Thread, threading.Event]:
    """Run one write transaction in a new thread; the event is set once it committed."""
    done = threading.Event()

    def write() -> None:
        with engine.begin() as connection:
            connection.execute(text(statement))
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    return writer, done


@pytest.mark.parametrize("engines", [1, 2], ids=["one process", "two processes"])
def test_concurrent_writers_never_meet_in_sqlite(tmp_path: Path, engines: int) -> None:
    """Two engines on one file stand for two processes: each has its own Python lock."""
    path = tmp_path / "writes.db"
    engine = _engine_without_busy_wait(path)
    others = [_engine_without_busy_wait(path, create=False) for _ in range(engines - 1)]
    everyone = [engine, *others]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def write(engine: Engine) -> None:
        start.wait()
        try:
            for _ in range(TRANSACTIONS_PER_THREAD):
                with engine.begin() as connection:
                    value = connection.execute(text("SELECT n FROM counter")).scalar_one()
                    connection.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=write, args=(everyone[number % engines],))
        for number in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with engine.connect() as connection:
        total = connection.execute(text("SELECT n FROM counter")).scalar_one()
    assert total == THREADS * TRANSACTIONS_PER_THREAD
    for each in everyone:
        each.dispose()


def test_the_lock_is_given_back_by_rollback_failure_and_close(tmp_path: Path) -> None:
    engine = _engine_without_busy_wait(tmp_path / "release.db")

    with engine.connect() as connection:
        connection.begin()
        connection.execute(text("UPDATE counter SET n = 1"))
        connection.rollback()

    with pytest.raises(ZeroDivisionError), engine.begin() as connection:
        connection.execute(text("UPDATE counter SET n = 2"))
        raise ZeroDivisionError

    raw = engine.raw_connection()
    held: Any = raw.driver_connection
    held.begin_immediate()
    held.close()
    raw.invalidate()

    dropped: Any = sqlite3.connect(tmp_path / "release.db", factory=type(held))
    dropped.begin_immediate()
    del dropped  # never closed: freed inside its transaction
    gc.collect()

    writer, done = _write_in_thread(engine, "UPDATE counter SET n = 3")
    writer.join(timeout=10)
    assert done.is_set()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 3
    engine.dispose()


def test_another_process_waits_for_the_holder(tmp_path: Path) -> None:
    """A second engine (as another process would have) waits until the first commits."""
    path = tmp_path / "two.db"
    first = _engine_without_busy_wait(path)
    second = _engine_without_busy_wait(path, create=False)
    with first.connect() as holder:
        holder.begin()
        holder.execute(text("UPDATE counter SET n = 10"))
        writer, finished = _write_in_thread(second, "UPDATE counter SET n = n + 1")
        assert not finished.wait(timeout=0.3)
        holder.commit()
        writer.join(timeout=10)
    assert finished.is_set()
    with second.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 11
    first.dispose()
    second.dispose()

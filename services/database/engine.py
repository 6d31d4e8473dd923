"""Engine and session factory, built by an app factory or a command, never at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from services.database.sqlite_writes import serialised_connection_class

SessionFactory = sessionmaker[Session]

READ_ONLY = "cnn101_read_only"
"""Execution option of :func:`make_read_session_factory`'s connections: on SQLite their
transactions read a snapshot without the write lock."""


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """PostgreSQL with a pool sized for a class; SQLite with writers serialised."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_size=10, max_overflow=30, pool_pre_ping=True)
    on_disk = parsed.database if parsed.database and parsed.database != ":memory:" else None
    if on_disk:
        Path(on_disk).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={
            "check_same_thread": False,
            "timeout": 30,
            "factory": serialised_connection_class(on_disk),
        },
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # BEGIN IMMEDIATE takes the write lock up front: every transaction that may write is
        # serialised, so read-then-write sequences (slot allocation) cannot interleave or
        # deadlock; a read-only session's (make_read_session_factory) takes no lock.
        # Writers queue on a Python lock and a file lock first: every connection of this
        # engine is made by its serialised_connection_class (sqlite_writes.py).
        dbapi_connection = connection.connection.dbapi_connection
        if connection.get_execution_options().get(READ_ONLY):
            dbapi_connection.begin_read()
        else:
            dbapi_connection.begin_immediate()

    return engine


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(bind=engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> SessionFactory:
    """Sessions for requests that only read. On SQLite they neither take nor wait for the
    one write lock that every other transaction holds from its start (a student's page
    reload no longer queues behind a class's answers), and a write in them fails. On
    PostgreSQL, whose readers never wait for writers, they are ordinary sessions."""
    return make_session_factory(
        engine.execution_options(**{READ_ONLY: True}) if is_sqlite(engine) else engine
    )

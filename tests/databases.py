"""Databases for tests (a pytest plugin, see tests/conftest.py): a throw-away PostgreSQL
database per session, SQLite per test, and a clock that moves only when told.

The study's and the studio's tests both use these, so they live outside either folder.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.orm import Session

from evaluation.auth import create_instructor
from services.database.engine import make_engine, make_session_factory

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PASSWORD = "correct horse battery"


class FakeClock:
    """The server's clock in tests: starts now, moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class PostgresDatabases:
    """Creates throw-away databases on the local server and drops them all at the end."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self) -> str:
        name = f"cnn101_eval_{secrets.token_hex(6)}"
        with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    def drop_all(self) -> None:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
            for name in self.created:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def shared_pg_url(postgres: PostgresDatabases) -> str:
    """One migrated database for the session; every test owns its own study in it."""
    return postgres.create()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'evaluation.db'}"
    url: str = request.getfixturevalue("shared_pg_url")
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'evaluation.db'}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@contextmanager
def db_session(url: str) -> Iterator[Session]:
    """A session on its own engine, for checking what is stored."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def new_instructor(url: str) -> str:
    """Create an instructor with a unique email; returns the email."""
    email = f"teacher-{secrets.token_hex(4)}@school.example"
    with db_session(url) as session:
        create_instructor(session, email, PASSWORD)
    return email

"""Fixtures: a fresh PostgreSQL database per session, SQLite per test, app clients, a clock."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from evaluation.app import create_app
from evaluation.auth import create_instructor
from evaluation.db import make_engine, make_session_factory
from evaluation.settings import EvaluationSettings

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


def make_settings(url: str, **overrides: object) -> EvaluationSettings:
    values: dict[str, object] = {
        "env": "development",
        "evaluation_database_url": url,
        "evaluation_secret_key": "test-only-secret-key-0123456789abcdef",
        "evaluation_bootstrap_instructor": None,
        "evaluation_grace_seconds": 2.0,
        **overrides,
    }
    return EvaluationSettings.model_validate(values)


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


MakeClient = Callable[[str], TestClient]


@pytest.fixture
def make_client(clock: FakeClock) -> Iterator[MakeClient]:
    """Start the app (lifespan: migrate, seed) on a URL; closed after the test."""
    clients: list[TestClient] = []

    def make(url: str) -> TestClient:
        client = TestClient(create_app(make_settings(url), clock=clock))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient, database_url: str) -> TestClient:
    return make_client(database_url)


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


def instructor_client(client: TestClient, url: str) -> TestClient:
    """A client logged in as a fresh instructor (cookies kept on a new client)."""
    email = new_instructor(url)
    logged = TestClient(client.app)
    response = logged.post("/api/instructor/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return logged

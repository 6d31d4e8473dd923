"""Fixtures of the study's tests: app clients and signed-in instructors.

The databases and the clock come from tests/databases.py (a plugin for every test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from evaluation.app import create_app
from evaluation.settings import EvaluationSettings
from tests.databases import (
    PASSWORD,
    FakeClock,
    PostgresDatabases,
    db_session,
    new_instructor,
)

# Re-exported: the study's tests import these from here.
__all__ = [
    "PASSWORD",
    "FakeClock",
    "MakeClient",
    "PostgresDatabases",
    "db_session",
    "instructor_client",
    "make_settings",
    "new_instructor",
]


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


def instructor_client(client: TestClient, url: str) -> TestClient:
    """A client logged in as a fresh instructor (cookies kept on a new client)."""
    email = new_instructor(url)
    logged = TestClient(client.app)
    response = logged.post("/api/instructor/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return logged

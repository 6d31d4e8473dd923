"""The command line: migrate, then create an instructor who can log in."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evaluation.app import create_app
from evaluation.cli import main
from evaluation.models import Instructor
from tests.evaluation.conftest import db_session, make_settings

REPO = Path(__file__).resolve().parents[2]


def run_cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CNN101_EVALUATION_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "evaluation.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
        check=False,
    )


def test_migrate_and_create_instructor(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    migrated = run_cli(sqlite_url, "migrate")  # the real entry point, once
    assert migrated.returncode == 0, migrated.stderr
    monkeypatch.setenv("CNN101_EVALUATION_DATABASE_URL", sqlite_url)

    def create(email: str, password: str) -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        return main(["create-instructor", "--email", email, "--password-stdin"])

    assert create("Lead@School.example", "a long enough password") == 0
    assert create("lead@school.example", "another long password") == 1
    assert "already exists" in capsys.readouterr().err
    assert create("b@school.example", "short") == 1
    assert "10 characters" in capsys.readouterr().err
    for guessable in ("aaaaaaaaaa", "1234567890", "password12", "schoolexample"):
        assert create("b@school.example", guessable) == 1
        assert "too easy to guess" in capsys.readouterr().err
    with TestClient(create_app(make_settings(sqlite_url))) as client:
        response = client.post(
            "/api/instructor/login",
            json={"email": "lead@school.example", "password": "a long enough password"},
        )
        assert response.status_code == 200
        assert client.get("/health").json() == {"status": "ok"}


def test_development_first_run_creates_an_instructor(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, evaluation_bootstrap_instructor="first@localhost")
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/instructor/login", json={"email": "first@localhost", "password": "guess"}
        )
        assert response.status_code == 401  # exists, with a random password printed once
    with db_session(sqlite_url) as session:
        assert session.scalars(select(Instructor.email)).all() == ["first@localhost"]

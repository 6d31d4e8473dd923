"""Study set-up shared by the reliability tests: instructors in a database, open studies."""

from __future__ import annotations

from tests.evaluation.conftest import new_instructor


def add_instructor(database_url: str) -> str:
    """A new instructor (password ``tests.evaluation.conftest.PASSWORD``); its email."""
    return new_instructor(database_url)

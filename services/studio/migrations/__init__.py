"""Alembic migrations of the model studio's tables, applied at start-up.

The history is the studio's own, recorded in ``studio_alembic_version``, so the studio can
share a database with the study (the default) or have one of its own.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from services.database import migrations

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSION_TABLE = "studio_alembic_version"


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    migrations.upgrade(MIGRATIONS_DIR, engine, VERSION_TABLE, revision)

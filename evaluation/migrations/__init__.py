"""Alembic migrations of the study database, applied at start-up and by ``cli migrate``."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Engine

from services.database import migrations

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSION_TABLE = "alembic_version"


def alembic_config(engine: Engine) -> Config:
    return migrations.alembic_config(MIGRATIONS_DIR, engine, VERSION_TABLE)


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    migrations.upgrade(MIGRATIONS_DIR, engine, VERSION_TABLE, revision)

"""The migrations build exactly the models' schema, on PostgreSQL and SQLite."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from evaluation.migrations import alembic_config, upgrade_database
from evaluation.models import Base
from services.database.engine import make_engine
from tests.evaluation.conftest import PostgresDatabases


def test_postgres_migrations_equal_the_models(postgres: PostgresDatabases) -> None:
    engine = make_engine(postgres.create())
    try:
        upgrade_database(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        # Upgrading again is a no-op (start-up runs it every time).
        upgrade_database(engine)
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        upgrade_database(engine)
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade_database(engine)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_migrations_create_every_table(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        upgrade_database(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()

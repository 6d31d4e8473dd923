"""Alembic, run from code: each service keeps its own history and its own version table.

The study and the model studio may share one database, so each records where its history
stands in a table of its own (``alembic_version`` for the study, the default, and
``studio_alembic_version`` for the studio) and they never step on each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine, MetaData


def alembic_config(script_location: Path, engine: Engine, version_table: str) -> Config:
    """An in-memory Alembic configuration bound to ``engine`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["engine"] = engine
    config.attributes["version_table"] = version_table
    return config


def upgrade(script_location: Path, engine: Engine, version_table: str, revision: str) -> None:
    command.upgrade(alembic_config(script_location, engine, version_table), revision)


def bound_engine(config: Config) -> Engine:
    """The engine a caller handed in; used by each history's ``env.py``."""
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("run migrations through services.database.migrations.upgrade")
    return engine


def run_online(metadata: MetaData) -> None:
    """What each history's ``env.py`` does: migrate the engine handed in, comparing only
    ``metadata``'s tables (the other service's may share the database)."""
    engine = bound_engine(context.config)

    def is_ours(_object: Any, name: str | None, type_: str, reflected: bool, _to: Any) -> bool:
        return not (type_ == "table" and reflected and name not in metadata.tables)

    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # SQLite's batch mode copies a table and drops the old one; with foreign keys on,
        # that drop would cascade (deleting every answer of a participant table rebuilt).
        # The pragma only works outside a transaction, so it is set on the raw connection.
        raw = connection.connection.dbapi_connection if sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=sqlite,
                compare_type=True,
                include_object=is_ours,
                version_table=context.config.attributes["version_table"],
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("a migration left rows whose foreign keys dangle")
            connection.commit()
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")

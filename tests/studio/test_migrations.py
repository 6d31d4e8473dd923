"""The studio's migrations: they build its models' schema, beside the study's or alone,
and adopt the tables (with their rows) that the study's migration 0004 used to create."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
)

from evaluation.auth import create_instructor
from evaluation.migrations import upgrade_database as upgrade_study
from evaluation.models import Base as StudyBase
from services.database.engine import make_engine, make_session_factory
from services.studio.migrations import VERSION_TABLE
from services.studio.migrations import upgrade_database as upgrade_studio
from services.studio.models import Base as StudioBase
from services.studio.models import ModelJob, PublishedModel, StudioDataset
from tests.databases import PASSWORD, PostgresDatabases


def _differences(engine: Engine, metadata: MetaData) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda _o, name, type_, reflected, _c: (
                    not (type_ == "table" and reflected and name not in metadata.tables)
                ),
            },
        )
        return list(compare_metadata(context, metadata))


def test_beside_the_study_both_histories_build_their_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade_study(engine)
        upgrade_studio(engine)
        upgrade_studio(engine)  # start-up runs it every time: a no-op
        assert _differences(engine, StudioBase.metadata) == []
        assert _differences(engine, StudyBase.metadata) == []
        assert {"alembic_version", VERSION_TABLE} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_alone_in_a_database_of_its_own(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        upgrade_studio(engine)
        assert set(inspect(engine).get_table_names()) == {
            VERSION_TABLE,
            *StudioBase.metadata.tables,
        }
        assert _differences(engine, StudioBase.metadata) == []
    finally:
        engine.dispose()


def _legacy_studio_tables(metadata: MetaData) -> None:
    """The tables as the study's migration 0004 made them (a data set owned by a FK)."""
    Table("instructor", metadata, Column("id", Integer, primary_key=True))
    Table(
        "studio_dataset",
        metadata,
        Column("id", String(32), primary_key=True),
        Column(
            "instructor_id",
            Integer,
            ForeignKey(
                "instructor.id",
                ondelete="SET NULL",
                name="fk_studio_dataset_instructor_id_instructor",
            ),
        ),
        Column("filename", String(255), nullable=False),
        Column("classes", JSON, nullable=False),
        Column("images", Integer, nullable=False),
        Column("warnings", JSON, nullable=False),
        Column("size_bytes", Integer, nullable=False),
        Column("archive", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "model_job",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("kind", String(10), nullable=False),
        Column("name", String(40), nullable=False, index=True),
        Column("status", String(10), nullable=False),
        Column("config", JSON, nullable=False),
        Column("progress", JSON, nullable=False),
        Column("error", Text),
        Column("result", JSON),
        Column("task_id", String(64)),
        Column("cancel_requested", Boolean, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("started_at", DateTime(timezone=True)),
        Column("heartbeat_at", DateTime(timezone=True)),
        Column("finished_at", DateTime(timezone=True)),
    )
    Table(
        "model_job_file",
        metadata,
        Column("id", Integer, primary_key=True),
        Column(
            "job_id",
            String(32),
            ForeignKey("model_job.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("filename", String(255), nullable=False),
        Column("data", LargeBinary, nullable=False),
        UniqueConstraint("job_id", "filename", name="uq_model_job_file_job_id_filename"),
    )
    Table(
        "published_model",
        metadata,
        Column("name", String(40), primary_key=True),
        Column("published", Boolean, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_database_of_the_old_layout_upgrades_without_loss(
    backend: str, sqlite_url: str, postgres: PostgresDatabases
) -> None:
    url = sqlite_url if backend == "sqlite" else postgres.create()
    engine = make_engine(url)
    now = datetime.now(UTC)
    try:
        upgrade_study(engine)  # the study's tables, instructor among them
        with make_session_factory(engine)() as session:
            owner = create_instructor(session, "owner@school.example", PASSWORD)
            owner_id = owner.id
        legacy = MetaData()
        _legacy_studio_tables(legacy)
        studio_tables = [table for table in legacy.sorted_tables if table.name != "instructor"]
        legacy.create_all(engine, tables=studio_tables)
        with engine.begin() as connection:
            connection.execute(
                legacy.tables["studio_dataset"].insert(),
                [
                    {
                        "id": "d" * 32,
                        "instructor_id": owner_id,
                        "filename": "shapes.zip",
                        "classes": [{"name": "circle", "images": 10}],
                        "images": 10,
                        "warnings": [],
                        "size_bytes": 3,
                        "archive": b"zip",
                        "created_at": now,
                    }
                ],
            )
            connection.execute(
                legacy.tables["model_job"].insert(),
                [
                    {
                        "id": "j" * 32,
                        "kind": "train",
                        "name": "shapes",
                        "status": "succeeded",
                        "config": {"epochs": 2},
                        "progress": {"epoch": 2},
                        "cancel_requested": False,
                        "attempts": 1,
                        "created_at": now,
                    }
                ],
            )
            connection.execute(
                legacy.tables["published_model"].insert(),
                [{"name": "shapes", "published": True, "updated_at": now}],
            )

        def owner_keys() -> list[object]:
            keys = inspect(engine).get_foreign_keys("studio_dataset")
            return [key for key in keys if key.get("referred_table") == "instructor"]

        assert len(owner_keys()) == 1
        upgrade_studio(engine)
        assert owner_keys() == []
        with make_session_factory(engine)() as session:
            dataset = session.get(StudioDataset, "d" * 32)
            assert dataset is not None
            assert (dataset.instructor_id, dataset.archive) == (owner_id, b"zip")
            assert dataset.classes == [{"name": "circle", "images": 10}]
            job = session.get(ModelJob, "j" * 32)
            assert job is not None and (job.status, job.config) == ("succeeded", {"epochs": 2})
            published = session.get(PublishedModel, "shapes")
            assert published is not None and published.published
        assert _differences(engine, StudioBase.metadata) == []
    finally:
        engine.dispose()

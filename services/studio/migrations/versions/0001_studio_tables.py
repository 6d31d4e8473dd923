"""the model studio's tables: data sets, jobs and their files, published models

Until the studio became a service of its own, the study's migration 0004 created these
tables in the study's database. Where they exist, this revision adopts them with their
rows and drops their one link to the study's tables (the data set's foreign key to
``instructor``: an owner is now the study's instructor id, kept as a number); where they
do not, it creates them.

Revision ID: studio_0001
Revises:
Create Date: 2026-12-05 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.database.schema import NAMING_CONVENTION

revision = "studio_0001"
down_revision = None
branch_labels = None
depends_on = None

LEGACY_OWNER_KEY = "fk_studio_dataset_instructor_id_instructor"


def _create_tables() -> None:
    op.create_table(
        "studio_dataset",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("instructor_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("images", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("archive", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studio_dataset")),
    )
    op.create_table(
        "model_job",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('train', 'import')", name=op.f("ck_model_job_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_model_job_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_job")),
    )
    op.create_index(op.f("ix_model_job_name"), "model_job", ["name"], unique=False)
    op.create_table(
        "model_job_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["model_job.id"],
            name=op.f("fk_model_job_file_job_id_model_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_job_file")),
        sa.UniqueConstraint("job_id", "filename", name=op.f("uq_model_job_file_job_id_filename")),
    )
    op.create_index(op.f("ix_model_job_file_job_id"), "model_job_file", ["job_id"], unique=False)
    op.create_table(
        "published_model",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_published_model")),
    )


def _adopt_legacy_tables() -> None:
    """Keep the rows; drop the data set's foreign key into the study's tables."""
    keys = sa.inspect(op.get_bind()).get_foreign_keys("studio_dataset")
    if any(key.get("referred_table") == "instructor" for key in keys):
        with op.batch_alter_table("studio_dataset", naming_convention=NAMING_CONVENTION) as batch:
            batch.drop_constraint(LEGACY_OWNER_KEY, type_="foreignkey")


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("studio_dataset"):
        _adopt_legacy_tables()
    else:
        _create_tables()


def downgrade() -> None:
    op.drop_table("published_model")
    op.drop_index(op.f("ix_model_job_file_job_id"), table_name="model_job_file")
    op.drop_table("model_job_file")
    op.drop_index(op.f("ix_model_job_name"), table_name="model_job")
    op.drop_table("model_job")
    op.drop_table("studio_dataset")

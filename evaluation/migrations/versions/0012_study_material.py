"""the conventional arm's material: uploaded PDFs and videos, and each study's choice

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 22:00:00.000000

A study without a ``study_material`` row uses the built-in tutorial, as every study did
before this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "material",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('pdf', 'video')", name=op.f("ck_material_kind")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_material_size_positive")),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["instructor.id"],
            name=op.f("fk_material_owner_id_instructor"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material")),
    )
    op.create_index(op.f("ix_material_sha256"), "material", ["sha256"])
    op.create_table(
        "study_material",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_study_material_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["material.id"],
            name=op.f("fk_study_material_material_id_material"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("study_id", name=op.f("pk_study_material")),
    )
    op.create_index(op.f("ix_study_material_material_id"), "study_material", ["material_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_study_material_material_id"), table_name="study_material")
    op.drop_table("study_material")
    op.drop_index(op.f("ix_material_sha256"), table_name="material")
    op.drop_table("material")

"""each study's pre-registration, written when it opens; the expected class size

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 19:30:00.000000

Studies opened before this revision have no pre-registration: one written now, after
students answered, would not be one (their results say so; the route answers 404).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("study", sa.Column("expected_students", sa.Integer(), nullable=True))
    op.create_table(
        "study_preregistration",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_study_preregistration_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("study_id", name=op.f("pk_study_preregistration")),
    )


def downgrade() -> None:
    op.drop_table("study_preregistration")
    with op.batch_alter_table("study") as batch:
        batch.drop_column("expected_students")

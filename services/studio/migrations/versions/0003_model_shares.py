"""model names shared with colleagues

Revision ID: studio_0003
Revises: studio_0002
Create Date: 2026-12-05 05:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "studio_0003"
down_revision = "studio_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_share",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("instructor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["name"],
            ["published_model.name"],
            name=op.f("fk_model_share_name_published_model"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("name", "instructor_id", name=op.f("pk_model_share")),
    )


def downgrade() -> None:
    op.drop_table("model_share")

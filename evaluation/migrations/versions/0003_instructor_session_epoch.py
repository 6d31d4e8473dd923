"""instructor session epoch: logging out ends every session cookie issued before

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (no batch copy): SQLite adds and drops a column in place, and a
# batch copy would drop a table that other tables' foreign keys point at.
def upgrade() -> None:
    op.add_column(
        "instructor",
        sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("instructor", "session_epoch")

"""model studio tables (now the studio service's own history)

This revision used to create the model studio's tables in the study's database. The
studio is now a service of its own with its own migrations (services/studio/migrations,
version table ``studio_alembic_version``): its first revision creates those tables, or
adopts them with their rows where this revision had already made them. So this revision
does nothing on a new database; it stays so the history of existing databases holds.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 03:10:00.000000
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: the studio's own history owns its tables."""


def downgrade() -> None:
    """Nothing, as above."""

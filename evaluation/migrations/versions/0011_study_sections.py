"""course sections of one study: the study's section names, each participant's section

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 22:00:00.000000

Both columns are nullable: a study without sections (every study made before this
revision) keeps null, and its strata and allocation sequences stay exactly as they were.
``participant.section`` is the index (0-based) of the section in ``study.sections``: the
names are fixed once the study opens, and the short index fits the strata strings ("s2").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("study", sa.Column("sections", sa.JSON(), nullable=True))
    op.add_column("participant", sa.Column("section", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("section")
    with op.batch_alter_table("study") as batch:
        batch.drop_column("sections")

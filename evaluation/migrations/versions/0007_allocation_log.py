"""allocation log and the counterbalanced design

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00.000000

Every allocated slot gets a row of ``allocation_log`` (backfilled from the participants
there are: slots of withdrawn ones were deleted with them and stay unknown); a slot's
uniqueness moves from the participant table to the log, because from design 2 on a
stratum's conditions come from one sequence per form order. Studies made before keep
design 1.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "study", sa.Column("design_version", sa.Integer(), server_default="1", nullable=False)
    )
    op.create_table(
        "allocation_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sequence", sa.String(length=60), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(length=20), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_allocation_log_participant_id_participant"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_allocation_log_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_log")),
        sa.UniqueConstraint(
            "study_id",
            "kind",
            "sequence",
            "slot",
            name=op.f("uq_allocation_log_study_id_kind_sequence_slot"),
        ),
    )
    op.create_index(
        op.f("ix_allocation_log_study_id"), "allocation_log", ["study_id"], unique=False
    )
    op.create_index(
        op.f("ix_allocation_log_participant_id"), "allocation_log", ["participant_id"], unique=False
    )
    op.execute(
        "INSERT INTO allocation_log (study_id, kind, sequence, slot, arm, participant_id, "
        "allocated_at) SELECT study_id, 'form_order', 'all', form_slot, form_order, id, "
        "COALESCE(consented_at, joined_at) FROM participant WHERE form_slot IS NOT NULL"
    )
    op.execute(
        "INSERT INTO allocation_log (study_id, kind, sequence, slot, arm, participant_id, "
        "allocated_at) SELECT study_id, 'condition', stratum, condition_slot, condition, id, "
        "COALESCE(assigned_at, joined_at) FROM participant WHERE condition_slot IS NOT NULL"
    )
    with op.batch_alter_table("participant") as batch:
        batch.drop_constraint("uq_participant_study_id_form_slot", type_="unique")
        batch.drop_constraint("uq_participant_study_id_stratum_condition_slot", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.create_unique_constraint(
            "uq_participant_study_id_stratum_condition_slot",
            ["study_id", "stratum", "condition_slot"],
        )
        batch.create_unique_constraint(
            "uq_participant_study_id_form_slot", ["study_id", "form_slot"]
        )
    op.drop_index(op.f("ix_allocation_log_participant_id"), table_name="allocation_log")
    op.drop_index(op.f("ix_allocation_log_study_id"), table_name="allocation_log")
    op.drop_table("allocation_log")
    op.drop_column("study", "design_version")

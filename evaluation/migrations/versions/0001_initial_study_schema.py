"""initial study schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:20:57.558883
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "instructor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instructor")),
        sa.UniqueConstraint("email", name=op.f("uq_instructor_email")),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("form", sa.String(length=1), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("concept", sa.String(length=60), nullable=False),
        sa.Column("stem", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("correct_index", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("form IN ('A', 'B')", name=op.f("ck_item_form")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item")),
        sa.UniqueConstraint("form", "position", name=op.f("uq_item_form_position")),
        sa.UniqueConstraint("key", name=op.f("uq_item_key")),
    )
    op.create_index(op.f("ix_item_concept"), "item", ["concept"], unique=False)
    op.create_table(
        "study",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instructor_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("learning_seconds", sa.Integer(), nullable=False),
        sa.Column("pre_test_seconds", sa.Integer(), nullable=False),
        sa.Column("post_test_seconds", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("join_code", sa.String(length=12), nullable=False),
        sa.Column("assignment_seed", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f("ck_study_status")),
        sa.CheckConstraint("learning_seconds > 0", name=op.f("ck_study_learning_positive")),
        sa.CheckConstraint(
            "pre_test_seconds > 0 AND post_test_seconds > 0", name=op.f("ck_study_quiz_positive")
        ),
        sa.ForeignKeyConstraint(
            ["instructor_id"],
            ["instructor.id"],
            name=op.f("fk_study_instructor_id_instructor"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study")),
        sa.UniqueConstraint("join_code", name=op.f("uq_study_join_code")),
    )
    op.create_table(
        "allocation_counter",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("stratum", sa.String(length=40), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_allocation_counter_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("study_id", "kind", "stratum", name=op.f("pk_allocation_counter")),
    )
    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("consent", sa.String(length=12), nullable=True),
        sa.Column("prior_ml", sa.Boolean(), nullable=True),
        sa.Column("form_order", sa.String(length=2), nullable=True),
        sa.Column("form_slot", sa.Integer(), nullable=True),
        sa.Column("stratum", sa.String(length=40), nullable=True),
        sa.Column("condition", sa.String(length=20), nullable=True),
        sa.Column("condition_slot", sa.Integer(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_participant_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant")),
        sa.UniqueConstraint("study_id", "code", name=op.f("uq_participant_study_id_code")),
        sa.UniqueConstraint(
            "study_id", "form_slot", name=op.f("uq_participant_study_id_form_slot")
        ),
        sa.UniqueConstraint(
            "study_id",
            "stratum",
            "condition_slot",
            name=op.f("uq_participant_study_id_stratum_condition_slot"),
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_participant_token_hash")),
    )
    op.create_index(op.f("ix_participant_study_id"), "participant", ["study_id"], unique=False)
    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=False),
        sa.Column("choice_index", sa.Integer(), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_answer_item_id_item"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_answer_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer")),
        sa.UniqueConstraint(
            "participant_id",
            "item_id",
            "phase",
            name=op.f("uq_answer_participant_id_item_id_phase"),
        ),
        sa.UniqueConstraint("submission_id", name=op.f("uq_answer_submission_id")),
    )
    op.create_index(op.f("ix_answer_participant_id"), "answer", ["participant_id"], unique=False)
    op.create_table(
        "interaction_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("client_time_ms", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_interaction_event_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction_event")),
    )
    op.create_index(
        op.f("ix_interaction_event_participant_id"),
        "interaction_event",
        ["participant_id"],
        unique=False,
    )
    op.create_table(
        "phase_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=False),
        sa.Column("form", sa.String(length=1), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finish_reason", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_phase_attempt_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phase_attempt")),
        sa.UniqueConstraint(
            "participant_id", "phase", name=op.f("uq_phase_attempt_participant_id_phase")
        ),
    )
    op.create_table(
        "questionnaire_response",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("umux_capabilities", sa.Integer(), nullable=False),
        sa.Column("umux_ease", sa.Integer(), nullable=False),
        sa.Column("mental_effort", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "mental_effort BETWEEN 1 AND 9", name=op.f("ck_questionnaire_response_mental_effort")
        ),
        sa.CheckConstraint(
            "umux_capabilities BETWEEN 1 AND 7",
            name=op.f("ck_questionnaire_response_umux_capabilities"),
        ),
        sa.CheckConstraint(
            "umux_ease BETWEEN 1 AND 7", name=op.f("ck_questionnaire_response_umux_ease")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_questionnaire_response_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_questionnaire_response")),
    )


def downgrade() -> None:

    op.drop_table("questionnaire_response")
    op.drop_table("phase_attempt")
    op.drop_index(op.f("ix_interaction_event_participant_id"), table_name="interaction_event")
    op.drop_table("interaction_event")
    op.drop_index(op.f("ix_answer_participant_id"), table_name="answer")
    op.drop_table("answer")
    op.drop_index(op.f("ix_participant_study_id"), table_name="participant")
    op.drop_table("participant")
    op.drop_table("allocation_counter")
    op.drop_table("study")
    op.drop_index(op.f("ix_item_concept"), table_name="item")
    op.drop_table("item")
    op.drop_table("instructor")

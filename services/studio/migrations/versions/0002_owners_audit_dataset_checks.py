"""owners for jobs and model names, data sets checked off the request, an audit log

- ``model_job.owner_id`` and ``published_model.owner_id``: the instructor who queued a
  job, and the one whose first job claimed a model name. Rows from before have no owner
  and belong to the admin alone.
- ``studio_dataset.status``/``error``/``checked_at``: an upload is stored as
  ``checking`` and checked outside the event loop; data sets from before were checked
  when they were uploaded, so they are ``ready``.
- ``studio_audit_entry``: the append-only audit log; triggers refuse UPDATE and DELETE.

Revision ID: studio_0002
Revises: studio_0001
Create Date: 2026-12-05 04:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.database.audit import append_only_statements, drop_append_only_statements
from services.database.schema import NAMING_CONVENTION

revision = "studio_0002"
down_revision = "studio_0001"
branch_labels = None
depends_on = None

AUDIT_TABLE = "studio_audit_entry"


def upgrade() -> None:
    op.add_column("model_job", sa.Column("owner_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_model_job_owner_id"), "model_job", ["owner_id"], unique=False)
    op.add_column("published_model", sa.Column("owner_id", sa.Integer(), nullable=True))
    op.create_index(
        op.f("ix_published_model_owner_id"), "published_model", ["owner_id"], unique=False
    )
    with op.batch_alter_table("studio_dataset", naming_convention=NAMING_CONVENTION) as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=10), nullable=False, server_default="ready")
        )
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint("status", "status IN ('checking', 'ready', 'invalid')")
    op.create_table(
        AUDIT_TABLE,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{AUDIT_TABLE}")),
    )
    for column in ("at", "actor_id", "action"):
        op.create_index(op.f(f"ix_{AUDIT_TABLE}_{column}"), AUDIT_TABLE, [column], unique=False)
    for statement in append_only_statements(AUDIT_TABLE, op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_append_only_statements(AUDIT_TABLE, op.get_bind().dialect.name):
        op.execute(statement)
    for column in ("at", "actor_id", "action"):
        op.drop_index(op.f(f"ix_{AUDIT_TABLE}_{column}"), table_name=AUDIT_TABLE)
    op.drop_table(AUDIT_TABLE)
    with op.batch_alter_table("studio_dataset", naming_convention=NAMING_CONVENTION) as batch:
        batch.drop_constraint("status", type_="check")
        batch.drop_column("checked_at")
        batch.drop_column("error")
        batch.drop_column("status")
    op.drop_index(op.f("ix_published_model_owner_id"), table_name="published_model")
    op.drop_column("published_model", "owner_id")
    op.drop_index(op.f("ix_model_job_owner_id"), table_name="model_job")
    op.drop_column("model_job", "owner_id")

"""the admin role (the first instructor) and the append-only audit log

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 04:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.database.audit import append_only_statements, drop_append_only_statements

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

AUDIT_TABLE = "audit_entry"


def upgrade() -> None:
    # Plain ALTER TABLE, as in 0003: a batch copy would drop a table others point at.
    op.add_column(
        "instructor",
        sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    instructor = sa.table("instructor", sa.column("id", sa.Integer), sa.column("is_admin"))
    first = sa.select(sa.func.min(instructor.c.id)).scalar_subquery()
    op.execute(instructor.update().where(instructor.c.id == first).values(is_admin=True))
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
    op.drop_column("instructor", "is_admin")

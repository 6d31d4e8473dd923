"""item versions with owners, and each study's snapshot of the items it uses

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 19:00:00.000000

Every existing item becomes version 1 of its key. The built-in keys (A01-A13, B01-B13)
belong to nobody (read-only); other keys were imported by an instructor the database did
not record: when every recorded import was made by one instructor they become theirs,
otherwise the admin's (who may edit every item anyway), otherwise nobody's. Each open or
closed study gets a snapshot of the items it used: the whole bank, which before this
revision was its forms (items could not be deleted, nor changed once answered).

Downgrading drops the versions' columns and the snapshots; it refuses while an item has
more than one version (their answers would point at rows the old schema cannot hold).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BUILT_IN_KEYS = [f"{form}{position:02d}" for form in "AB" for position in range(1, 14)]
CURRENT = sa.text("is_current")


def upgrade() -> None:
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("is_current", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.drop_constraint("uq_item_key", type_="unique")
        batch.drop_constraint("uq_item_form_position", type_="unique")
        batch.create_unique_constraint(op.f("uq_item_key_version"), ["key", "version"])
        batch.create_check_constraint(op.f("ck_item_version_positive"), "version >= 1")
        batch.create_foreign_key(
            op.f("fk_item_owner_id_instructor"),
            "instructor",
            ["owner_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    op.create_index(op.f("ix_item_owner_id"), "item", ["owner_id"], unique=False)
    op.create_index(
        "uq_item_current_key",
        "item",
        ["key"],
        unique=True,
        postgresql_where=CURRENT,
        sqlite_where=CURRENT,
    )
    op.create_index(
        "uq_item_current_form_position",
        "item",
        ["form", "position"],
        unique=True,
        postgresql_where=CURRENT,
        sqlite_where=CURRENT,
    )
    op.create_table(
        "study_item",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=1), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_study_item_item_id_item"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_study_item_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("study_id", "item_id", name=op.f("pk_study_item")),
        sa.UniqueConstraint(
            "study_id", "form", "position", name=op.f("uq_study_item_study_id_form_position")
        ),
    )
    op.create_index(op.f("ix_study_item_item_id"), "study_item", ["item_id"], unique=False)
    _backfill_owners()
    op.execute(
        "INSERT INTO study_item (study_id, item_id, form, position) "
        "SELECT study.id, item.id, item.form, item.position FROM study CROSS JOIN item "
        "WHERE study.status IN ('open', 'closed')"
    )


def _backfill_owners() -> None:
    """Imported (not built-in) items: their one recorded importer's, else the admin's."""
    connection = op.get_bind()
    importers = connection.execute(
        sa.text(
            "SELECT DISTINCT actor_id FROM audit_entry "
            "WHERE action = 'items.import' AND outcome = 'ok' AND actor_id IS NOT NULL"
        )
    ).scalars()
    candidates = [int(i) for i in importers]
    known = connection.execute(
        sa.text("SELECT id FROM instructor WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        ),
        {"ids": candidates or [-1]},
    ).scalars()
    found = list(known)
    owner = found[0] if len(candidates) == 1 and found else None
    if owner is None:
        owner = connection.execute(
            sa.text("SELECT id FROM instructor WHERE is_admin ORDER BY id LIMIT 1")
        ).scalar()
    if owner is None:
        return
    connection.execute(
        sa.text("UPDATE item SET owner_id = :owner WHERE key NOT IN :keys").bindparams(
            sa.bindparam("keys", expanding=True)
        ),
        {"owner": owner, "keys": BUILT_IN_KEYS},
    )


def downgrade() -> None:
    connection = op.get_bind()
    versions = connection.execute(sa.text("SELECT count(*) FROM item WHERE version > 1")).scalar()
    retired = connection.execute(sa.text("SELECT count(*) FROM item WHERE NOT is_current")).scalar()
    if versions or retired:
        raise RuntimeError(
            "items have later versions or were retired: revision 0008 cannot hold them; "
            "restore a backup taken before 0009 instead"
        )
    op.drop_index(op.f("ix_study_item_item_id"), table_name="study_item")
    op.drop_table("study_item")
    op.drop_index("uq_item_current_form_position", table_name="item")
    op.drop_index("uq_item_current_key", table_name="item")
    op.drop_index(op.f("ix_item_owner_id"), table_name="item")
    with op.batch_alter_table("item") as batch:
        batch.drop_constraint(op.f("fk_item_owner_id_instructor"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_item_version_positive"), type_="check")
        batch.drop_constraint(op.f("uq_item_key_version"), type_="unique")
        batch.create_unique_constraint("uq_item_form_position", ["form", "position"])
        batch.create_unique_constraint("uq_item_key", ["key"])
        batch.drop_column("is_current")
        batch.drop_column("owner_id")
        batch.drop_column("version")

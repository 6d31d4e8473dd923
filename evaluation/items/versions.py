"""Who may change an item, and how a change is kept: in place, or as a new version.

An item version a study used (students answered it, or a study's snapshot holds it) is
never changed: the edit becomes version n + 1 of the same key, offered to new studies,
while the old row stays what the study used. Built-in items (no owner) are read-only for
everyone; other items only their owner or the admin may edit or retire (403 otherwise).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.items.usage import item_is_used, unchanged
from evaluation.models import Instructor, Item
from evaluation.schemas import ItemData
from services.common.errors import ApiError
from services.database.schema import utcnow

BUILT_IN_LOCK = "built-in item: read-only for everyone; import a copy under a new key to change it"


def edit_refusal(instructor: Instructor, item: Item) -> str | None:
    """Why ``instructor`` may not edit or retire ``item`` (None: they may)."""
    if item.owner_id is None:
        return BUILT_IN_LOCK
    if item.owner_id != instructor.id and not instructor.is_admin:
        owner = item.owner.email if item.owner is not None else f"instructor {item.owner_id}"
        return f"owned by {owner}: only its owner or the admin may change it"
    return None


def require_editable(instructor: Instructor, item: Item) -> None:
    """Refuse the change: 409 for a built-in item (read-only whoever asks, a property of the
    item, like a closed study), 403 for another instructor's (a question of who asks)."""
    refusal = edit_refusal(instructor, item)
    if refusal is None:
        return
    if item.owner_id is None:
        raise ApiError(409, "item_built_in", f"item {item.key}: {refusal}")
    raise ApiError(403, "item_not_yours", f"item {item.key}: {refusal}")


def change_item(session: Session, instructor: Instructor, item: Item, data: ItemData) -> Item:
    """Apply ``data`` to the current version ``item``; returns the version that holds it.

    The caller commits (a position or key taken by another item fails there, 409).
    """
    if not item.is_current:
        raise ApiError(
            409,
            "item_superseded",
            f"item {item.id} is an old version of {item.key}: edit the latest",
        )
    if unchanged(item, data):
        return item
    require_editable(instructor, item)
    if data.key != item.key:
        raise ApiError(
            422, "key_fixed", f"key: an item's key names all its versions; keep {item.key!r}"
        )
    if not item_is_used(session, item.id):
        for field, value in data.model_dump().items():
            setattr(item, field, value)
        item.updated_at = utcnow()
        return item
    item.is_current = False
    session.flush()  # the new version takes the key and position only once this one frees them
    successor = Item(
        **data.model_dump(),
        version=latest_version(session, item.key) + 1,
        owner_id=item.owner_id,
        is_current=True,
        updated_at=utcnow(),
    )
    session.add(successor)
    session.flush()
    return successor


def latest_version(session: Session, key: str) -> int:
    versions = session.scalars(select(Item.version).where(Item.key == key))
    return max(versions, default=0)


def retire_item(session: Session, instructor: Instructor, item: Item) -> None:
    """Take ``item`` out of the bank for new studies; studies that used it keep it."""
    if not item.is_current:
        raise ApiError(409, "item_superseded", f"item {item.id} is not in the bank any more")
    require_editable(instructor, item)
    item.is_current = False
    item.updated_at = utcnow()

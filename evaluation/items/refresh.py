"""Bring a running bank's built-in items up to date with the code, at every start.

Seeding only fills an empty bank, so without this a deployed instance would keep offering
the forms it was first seeded with. Each built-in key whose newest version differs from
``DEFAULT_ITEMS`` gets the code's text by the usual versioning rule
(evaluation/items/versions.py): a version a study used stays as it was and the text
becomes version n + 1; an unused version changes in place. Studies keep their snapshots
(evaluation/items/snapshot.py), so their results do not move. Running it again changes
nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evaluation.items.bank import DEFAULT_ITEMS
from evaluation.items.usage import item_is_used, unchanged
from evaluation.models import Item
from evaluation.schemas import ItemData
from services.database.schema import utcnow

logger = logging.getLogger("evaluation")


@dataclass
class RefreshOutcome:
    """Keys added, changed in place, given a new version, and left alone (with why)."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.new_versions)


def _newest(session: Session, key: str) -> Item | None:
    return session.scalar(select(Item).where(Item.key == key).order_by(Item.version.desc()))


def _position_taken(session: Session, data: ItemData) -> Item | None:
    return session.scalar(
        select(Item).where(
            Item.is_current.is_(True), Item.form == data.form, Item.position == data.position
        )
    )


def _refresh_one(session: Session, data: ItemData, outcome: RefreshOutcome) -> None:
    newest = _newest(session, data.key)
    if newest is None:
        holder = _position_taken(session, data)
        if holder is not None:
            # An instructor's own item holds the place: theirs stays, ours waits (logged).
            outcome.skipped[data.key] = f"form {data.form} position {data.position} is {holder.key}"
            return
        session.add(Item(**data.model_dump(), version=1, is_current=True, updated_at=utcnow()))
        outcome.added.append(data.key)
    elif newest.owner_id is not None:
        outcome.skipped[data.key] = "the key belongs to an instructor's item"
    elif not newest.is_current:
        outcome.skipped[data.key] = "taken out of the bank"
    elif unchanged(newest, data):
        return
    elif not item_is_used(session, newest.id):
        for name, value in data.model_dump().items():
            setattr(newest, name, value)
        newest.updated_at = utcnow()
        outcome.changed.append(data.key)
    else:
        newest.is_current = False
        session.flush()  # the new version takes the key and position once this one frees them
        session.add(
            Item(
                **data.model_dump(),
                version=newest.version + 1,
                is_current=True,
                updated_at=utcnow(),
            )
        )
        outcome.new_versions.append(data.key)
    session.flush()


def refresh_builtin_items(session: Session, items: list[ItemData] | None = None) -> RefreshOutcome:
    """Make the bank's current built-in items equal ``items`` (the code's by default)."""
    outcome = RefreshOutcome()
    try:
        for data in DEFAULT_ITEMS if items is None else items:
            _refresh_one(session, data, outcome)
        session.commit()
    except IntegrityError:
        # Another instance refreshed at the same moment; its result is the same one.
        session.rollback()
        logger.info("built-in items: refreshed concurrently by another instance")
        return RefreshOutcome()
    for key, reason in outcome.skipped.items():
        logger.warning("built-in item %s not refreshed: %s", key, reason)
    if outcome.touched:
        logger.info(
            "built-in items refreshed: added %s, changed %s, new versions %s",
            outcome.added,
            outcome.changed,
            outcome.new_versions,
        )
    return outcome

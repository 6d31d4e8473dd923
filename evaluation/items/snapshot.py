"""A study's own forms: the item versions snapshotted when it opened.

Everything that shows or scores a study's items (student pages, scoring, analysis,
exports, the freeze) reads these rows, never the live bank, so adding or editing items
later cannot change an open or closed study (issue 18).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cachetools import LRUCache
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evaluation.models import FORMS, Item, Study, StudyItem


class EmptyFormError(ValueError):
    """A form of the bank has no current item, so a study cannot open (the route: 409).

    Not an ApiError: this module is read by the report worker, whose image has no FastAPI.
    """

    def __init__(self, form: str) -> None:
        super().__init__(f"form {form} has no items")
        self.form = form


def take_snapshot(session: Session, study: Study) -> int:
    """Record the bank's current versions as ``study``'s forms; returns how many.

    Raises :class:`EmptyFormError` (nothing changed) while a form has no items. The caller
    commits.
    """
    current = list(
        session.scalars(
            select(Item).where(Item.is_current.is_(True)).order_by(Item.form, Item.position)
        )
    )
    for form in FORMS:
        if not any(item.form == form for item in current):
            raise EmptyFormError(form)
    for item in current:
        session.add(
            StudyItem(study_id=study.id, item_id=item.id, form=item.form, position=item.position)
        )
    session.flush()
    return len(current)


def study_items(session: Session, study_id: int, form: str) -> list[Item]:
    """The item versions of one of the study's forms, in order."""
    return list(
        session.scalars(
            select(Item)
            .join(StudyItem, StudyItem.item_id == Item.id)
            .where(StudyItem.study_id == study_id, StudyItem.form == form)
            .order_by(StudyItem.position)
        )
    )


def study_items_by_form(session: Session, study_id: int) -> dict[str, list[Item]]:
    return {form: study_items(session, study_id, form) for form in FORMS}


def study_form_sizes(session: Session, study_id: int) -> dict[str, int]:
    """How many items each of the study's forms has (0 for a form it lacks)."""
    sizes = dict.fromkeys(FORMS, 0)
    for form, count in session.execute(
        select(StudyItem.form, func.count())
        .where(StudyItem.study_id == study_id)
        .group_by(StudyItem.form)
    ):
        sizes[str(form)] = int(count)
    return sizes


@dataclass(frozen=True)
class ItemFacts:
    """An item of a study's form: what a student sees of it (no answer, no explanation), and
    what storing an answer needs (its options and the right one)."""

    item_id: int
    position: int
    stem: str
    options: tuple[str, ...]
    correct_index: int

    @property
    def option_count(self) -> int:
        return len(self.options)


@dataclass(frozen=True)
class _Form:
    items: tuple[ItemFacts, ...]
    by_id: dict[int, ItemFacts]


class StudyFormsCache:
    """Each study's forms, read from the database once per process.

    A quiz answer checks that its item is on the student's form and scores it, and a quiz's
    start shows the form's items; at a class's peak reading them was a sixth of an answer's
    CPU (docs/sizing.md). A study's snapshot is written once, when it opens
    (:func:`take_snapshot`), and the item versions it names are never changed
    (evaluation/items/versions.py), so what was read stays true. An empty form (a study not
    open yet) is not kept. Bounded: the least recently used studies go. Shared by the app's
    worker threads, hence the lock.
    """

    def __init__(self, max_forms: int = 256) -> None:
        self._forms: LRUCache[tuple[int, str], _Form] = LRUCache(max_forms)
        self._lock = threading.Lock()

    def item(self, session: Session, study_id: int, item_id: int, form: str) -> ItemFacts | None:
        """The item ``item_id`` if it is on the study's ``form``, else None."""
        return self._form(session, study_id, form).by_id.get(item_id)

    def items(self, session: Session, study_id: int, form: str) -> tuple[ItemFacts, ...]:
        """The items of the study's ``form``, in order."""
        return self._form(session, study_id, form).items

    def _form(self, session: Session, study_id: int, form: str) -> _Form:
        key = (study_id, form)
        with self._lock:
            cached = self._forms.get(key)
        if cached is not None:
            return cached
        items = tuple(
            ItemFacts(item.id, item.position, item.stem, tuple(item.options), item.correct_index)
            for item in study_items(session, study_id, form)
        )
        read = _Form(items, {item.item_id: item for item in items})
        if items:
            with self._lock:
                self._forms[key] = read
        return read

"""Whether a study used an item version, and whether new data would change it.

Kept apart from evaluation/items/versions.py (which raises the API's errors) so the start-up
refresh of the built-in items (evaluation/items/refresh.py) runs in images without FastAPI,
such as the model worker's `cnn101` command.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.models import Answer, Item, StudyItem
from evaluation.schemas import ItemData


def used_item_ids(session: Session) -> set[int]:
    """Item versions some study used: answered, or held by a study's snapshot."""
    answered = set(session.scalars(select(Answer.item_id).distinct()))
    return answered | set(session.scalars(select(StudyItem.item_id).distinct()))


def item_is_used(session: Session, item_id: int) -> bool:
    answered = select(Answer.id).where(Answer.item_id == item_id).limit(1)
    snapshotted = select(StudyItem.study_id).where(StudyItem.item_id == item_id).limit(1)
    return session.scalar(answered) is not None or session.scalar(snapshotted) is not None


def unchanged(item: Item, data: ItemData) -> bool:
    wanted = data.model_dump()  # the read-only fields (locked, version, ...) are excluded
    return wanted == {field: getattr(item, field) for field in wanted}

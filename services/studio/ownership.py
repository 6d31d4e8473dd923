"""Who owns a model name: the instructor whose first job claimed it (``PublishedModel``).

A name is claimed in the same transaction as the job that claims it, so two instructors
cannot both take a new name. A name already in the models folder with no owner recorded
(trained from the command line, or before owners existed) is the admin's alone.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.common.errors import ApiError
from services.studio.auth import Instructor
from services.studio.models import PublishedModel


def not_your_model(name: str) -> ApiError:
    return ApiError(
        403,
        "not_your_model",
        f"name: the model {name!r} is another instructor's; pick another name",
    )


def owner_of(session: Session, name: str) -> int | None:
    row = session.get(PublishedModel, name)
    return row.owner_id if row is not None else None


def claimable(session: Session, instructor: Instructor, name: str, on_disk: bool) -> bool:
    """Whether ``instructor`` may add a version under ``name`` (claiming it if it is new)."""
    row = session.get(PublishedModel, name)
    if row is None:
        return instructor.is_admin or not on_disk
    return instructor.may_act_on(row.owner_id)


def claim(session: Session, instructor: Instructor, name: str) -> None:
    """Record ``instructor`` as the owner of a name nobody owns yet (not committed here)."""
    row = session.get(PublishedModel, name)
    if row is None:
        session.add(PublishedModel(name=name, owner_id=instructor.id, published=False))
    elif row.owner_id is None:
        row.owner_id = instructor.id

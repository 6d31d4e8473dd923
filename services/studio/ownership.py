"""Who may act on a model name: its owner, the colleagues it is shared with, the admin.

The first job under a name claims it for its instructor (``PublishedModel.owner_id``), in
the same transaction as the job, so two instructors cannot both take a new name. The owner
(or the admin) may share it with colleagues (``ModelShare``): they may then publish it and
add versions under it, but not share it further. A name already in the models folder with
no owner recorded (trained from the command line, or before owners existed) is the
admin's alone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.errors import ApiError
from services.studio.auth import Instructor
from services.studio.models import ModelShare, PublishedModel


def not_your_model(name: str) -> ApiError:
    return ApiError(
        403,
        "not_your_model",
        f"name: the model {name!r} is another instructor's; pick another name",
    )


def shares(session: Session) -> dict[str, list[int]]:
    """Every shared name with the colleagues it is shared with."""
    shared: dict[str, list[int]] = {}
    for name, instructor_id in session.execute(
        select(ModelShare.name, ModelShare.instructor_id).order_by(ModelShare.instructor_id)
    ).all():
        shared.setdefault(name, []).append(instructor_id)
    return shared


def may_manage(session: Session, instructor: Instructor, name: str) -> bool:
    """Owner, admin, or a colleague it is shared with (for a name with a row)."""
    row = session.get(PublishedModel, name)
    owner = row.owner_id if row is not None else None
    if instructor.may_act_on(owner):
        return True
    return session.get(ModelShare, (name, instructor.id)) is not None


def claimable(session: Session, instructor: Instructor, name: str, on_disk: bool) -> bool:
    """Whether ``instructor`` may add a version under ``name`` (claiming it if it is new)."""
    if session.get(PublishedModel, name) is None:
        return instructor.is_admin or not on_disk
    return may_manage(session, instructor, name)


def claim(session: Session, instructor: Instructor, name: str) -> None:
    """Record ``instructor`` as the owner of a name nobody owns yet (not committed here)."""
    row = session.get(PublishedModel, name)
    if row is None:
        session.add(PublishedModel(name=name, owner_id=instructor.id, published=False))
    elif row.owner_id is None and instructor.is_admin:
        row.owner_id = instructor.id

"""The models in the store: list them, publish them to students, and the students' list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.errors import ApiError
from services.common.model_store import CatalogueEntry, list_models
from services.studio.audit import Action, record, refuse
from services.studio.auth import Instructor, InstructorDep
from services.studio.deps import NowDep, SessionDep, SettingsDep
from services.studio.models import PublishedModel
from services.studio.ownership import not_your_model
from services.studio.schemas import (
    MODEL_FOLDER,
    ModelEntry,
    ModelList,
    PublishRequest,
    StudentModel,
    StudentModelList,
)
from services.studio.settings import StudioSettings

router = APIRouter(prefix="/api/studio", tags=["model studio"])


def _published_names(session: Session, settings: StudioSettings) -> set[str]:
    """The published models' names; the default model is always among them."""
    rows = session.scalars(select(PublishedModel.name).where(PublishedModel.published))
    return set(rows) | {settings.model_name}


def _owners(session: Session) -> dict[str, int | None]:
    rows = session.execute(select(PublishedModel.name, PublishedModel.owner_id)).all()
    return {name: owner for name, owner in rows}


def _entry(
    entry: CatalogueEntry,
    published: bool,
    owner_id: int | None,
    instructor: Instructor,
    default: str,
) -> ModelEntry:
    return ModelEntry(
        name=entry.name,
        title=entry.title,
        versions=entry.versions,
        latest=entry.latest,
        source=entry.source,
        classes=entry.classes,
        accuracy=entry.accuracy,
        published=published,
        card=entry.card,
        created_at=entry.created_at,
        owner_id=owner_id,
        may_manage=entry.name != default and instructor.may_act_on(owner_id),
    )


def _catalogue(settings: StudioSettings) -> list[CatalogueEntry]:
    return list_models(settings.model_base_path, settings.model_name)


@router.get("/models")
def list_all_models(
    instructor: InstructorDep, session: SessionDep, settings: SettingsDep
) -> ModelList:
    """Every model in the models folder, with its owner; the default is always published."""
    published, owners = _published_names(session, settings), _owners(session)
    default = settings.model_name
    return ModelList(
        default=default,
        models=[
            _entry(e, e.name in published, owners.get(e.name), instructor, default)
            for e in _catalogue(settings)
        ],
    )


@router.put("/models/{name}/published")
def publish_model(
    *,
    name: Annotated[str, Path(pattern=MODEL_FOLDER)],
    request: PublishRequest,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> ModelEntry:
    """Let students pick a model, or stop them (its owner or the admin); not the default."""
    entry = next((e for e in _catalogue(settings) if e.name == name), None)
    if entry is None:
        raise ApiError(404, "unknown_model", f"no model {name!r} in the models folder")
    default = settings.model_name
    if name == default:
        if not request.published:
            raise ApiError(409, "default_model", "the default model is always published")
        return _entry(entry, True, None, instructor, default)
    action = Action.PUBLISH if request.published else Action.UNPUBLISH
    row = session.get(PublishedModel, name)
    if not instructor.may_act_on(row.owner_id if row is not None else None):
        refuse(
            session,
            http_request,
            now,
            action=action,
            instructor=instructor,
            target=name,
            error=not_your_model(name),
        )
    if row is None:  # a folder nobody claimed: the admin's, and now recorded as such
        row = PublishedModel(name=name, owner_id=instructor.id)
        session.add(row)
    row.published, row.updated_at = request.published, now
    record(session, http_request, now, action, instructor, target=name)
    session.commit()
    return _entry(entry, request.published, row.owner_id, instructor, default)


@router.get("/published")
def published_models(session: SessionDep, settings: SettingsDep) -> StudentModelList:
    """The published models (the default first): what students may pick among."""
    published = _published_names(session, settings)
    return StudentModelList(
        default=settings.model_name,
        models=[
            StudentModel(
                name=e.name, title=e.title, latest=e.latest, classes=e.classes, accuracy=e.accuracy
            )
            for e in _catalogue(settings)
            if e.name in published
        ],
    )

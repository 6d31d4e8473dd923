"""The models in the store: list them, publish them to students, and the students' list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.common.errors import ApiError
from services.common.model_store import CatalogueEntry, list_models
from services.studio.audit import Action, record, refuse
from services.studio.auth import Instructor, InstructorDep
from services.studio.deps import NowDep, SessionDep, SettingsDep
from services.studio.models import ModelShare, PublishedModel
from services.studio.ownership import not_your_model, shares
from services.studio.schemas import (
    MODEL_FOLDER,
    ModelEntry,
    ModelList,
    PublishRequest,
    ShareRequest,
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


@dataclass(frozen=True)
class Rights:
    """Who a model name belongs to, and what the caller may do with it."""

    owner_id: int | None
    shared_with: list[int]
    instructor: Instructor
    is_default: bool

    @property
    def may_share(self) -> bool:
        return not self.is_default and self.instructor.may_act_on(self.owner_id)

    @property
    def may_manage(self) -> bool:
        return self.may_share or (not self.is_default and self.instructor.id in self.shared_with)


def _rights(session: Session, instructor: Instructor, name: str, default: str) -> Rights:
    row = session.get(PublishedModel, name)
    return Rights(
        row.owner_id if row is not None else None,
        shares(session).get(name, []),
        instructor,
        name == default,
    )


def _entry(entry: CatalogueEntry, published: bool, rights: Rights) -> ModelEntry:
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
        owner_id=rights.owner_id,
        shared_with=rights.shared_with,
        may_manage=rights.may_manage,
        may_share=rights.may_share,
    )


def _catalogue(settings: StudioSettings) -> list[CatalogueEntry]:
    return list_models(settings.model_base_path, settings.model_name)


@router.get("/models")
def list_all_models(
    instructor: InstructorDep, session: SessionDep, settings: SettingsDep
) -> ModelList:
    """Every model in the models folder, with its owner; the default is always published."""
    published, owners, shared = (
        _published_names(session, settings),
        _owners(session),
        shares(session),
    )
    default = settings.model_name
    return ModelList(
        default=default,
        models=[
            _entry(
                e,
                e.name in published,
                Rights(owners.get(e.name), shared.get(e.name, []), instructor, e.name == default),
            )
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
    """Let students pick a model, or stop them (owner, sharer or admin); not the default."""
    entry = _catalogue_entry(settings, name)
    default = settings.model_name
    if name == default:
        if not request.published:
            raise ApiError(409, "default_model", "the default model is always published")
        return _entry(entry, True, _rights(session, instructor, name, default))
    action = Action.PUBLISH if request.published else Action.UNPUBLISH
    row = session.get(PublishedModel, name)
    if not _rights(session, instructor, name, default).may_manage:
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
    return _entry(entry, request.published, _rights(session, instructor, name, default))


def _catalogue_entry(settings: StudioSettings, name: str) -> CatalogueEntry:
    entry = next((e for e in _catalogue(settings) if e.name == name), None)
    if entry is None:
        raise ApiError(404, "unknown_model", f"no model {name!r} in the models folder")
    return entry


@router.put("/models/{name}/shares")
def share_model(
    *,
    name: Annotated[str, Path(pattern=MODEL_FOLDER)],
    request: ShareRequest,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> ModelEntry:
    """Share a model with these colleagues (the list replaces the one before): its owner or
    the admin only. They may then publish it and add versions, as the owner may."""
    entry = _catalogue_entry(settings, name)
    default = settings.model_name
    if name == default:
        raise ApiError(409, "default_model", "the default model belongs to no one to share")
    rights = _rights(session, instructor, name, default)
    if not rights.may_share:
        refuse(
            session,
            http_request,
            now,
            action=Action.SHARE,
            instructor=instructor,
            target=name,
            error=not_your_model(name),
        )
    row = session.get(PublishedModel, name)
    if row is None:  # a folder nobody claimed: the admin's, and now recorded as such
        row = PublishedModel(name=name, owner_id=instructor.id)
        session.add(row)
        session.flush()
    wanted = sorted(set(request.instructor_ids) - {row.owner_id})
    session.execute(delete(ModelShare).where(ModelShare.name == name))
    session.add_all(ModelShare(name=name, instructor_id=colleague) for colleague in wanted)
    record(
        session, http_request, now, Action.SHARE, instructor, target=name, detail={"with": wanted}
    )
    session.commit()
    published = name in _published_names(session, settings)
    return _entry(entry, published, _rights(session, instructor, name, default))


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

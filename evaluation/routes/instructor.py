"""The instructor's endpoints: login, studies, join code and QR, the item bank."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Annotated, Literal

import segno
from fastapi import APIRouter, Depends, Header, Request, Response
from sqlalchemy import select

from evaluation.audit import Action, record
from evaluation.auth import (
    InstructorDep,
    authenticate,
    clear_session_cookie,
    normalise_email,
    role,
    session_instructor,
    set_session_cookie,
)
from evaluation.dashboard import Progress, progress
from evaluation.deps import NowDep, RowId, SessionDep, SettingsDep
from evaluation.freeze import freeze
from evaluation.items.io import (
    bank_conflicts_refused,
    commit_items,
    export_csv,
    export_json,
    import_items,
    item_data,
    parse_csv,
    parse_json,
)
from evaluation.items.snapshot import EmptyFormError, take_snapshot
from evaluation.items.usage import used_item_ids
from evaluation.items.versions import change_item, edit_refusal, retire_item
from evaluation.login_guard import LoginGuard
from evaluation.models import Instructor, Item, Study, StudyShare
from evaluation.preregistration import register
from evaluation.schemas import (
    ImportResult,
    InstructorPublic,
    ItemData,
    ItemStored,
    LoginRequest,
    SessionState,
    StudyCreate,
    StudyPublic,
    StudyShares,
    StudyUpdate,
)
from evaluation.studies import create_study, join_link, owned_study, study_public
from services.common.errors import ApiError

router = APIRouter(prefix="/api/instructor", tags=["instructor"])


@router.post("/login")
def login(
    *,
    request: LoginRequest,
    http_request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> InstructorPublic:
    guard: LoginGuard = http_request.app.state.login_guard
    client = http_request.client.host if http_request.client else "unknown"
    email = normalise_email(request.email)
    try:
        guard.admit(client, email)
    except ApiError as refusal:
        _refused_login(session, http_request, now, email, refusal.code)
        raise
    with guard.hashing_slot():
        instructor = authenticate(session, email, request.password)
    if instructor is None:
        guard.record_failure(client, email)
        _refused_login(session, http_request, now, email, "invalid_credentials")
        raise ApiError(401, "invalid_credentials", "wrong email or password")
    record(session, http_request, now, Action.LOGIN, instructor=instructor)
    session.commit()
    set_session_cookie(response, settings, instructor)
    return _public(instructor)


def _refused_login(
    session: SessionDep, request: Request, now: NowDep, email: str, reason: str
) -> None:
    """A refused login is kept even though the request fails (its own transaction)."""
    record(session, request, now, Action.LOGIN, actor=email, refused=True, detail={"why": reason})
    session.commit()


def _public(instructor: Instructor) -> InstructorPublic:
    return InstructorPublic(id=instructor.id, email=instructor.email, role=role(instructor))


@router.post("/logout", status_code=204)
def logout(
    http_request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Ends this instructor's sessions everywhere (a copied cookie too), clears the cookie."""
    instructor = session_instructor(http_request, session, settings)
    if instructor is not None:
        instructor.session_epoch += 1
        record(session, http_request, now, Action.LOGOUT, instructor=instructor)
        session.commit()
    response = Response(status_code=204)
    clear_session_cookie(response, settings)
    return response


@router.get("/me")
def me(instructor: InstructorDep) -> InstructorPublic:
    return _public(instructor)


@router.get("/session")
def current_session(
    http_request: Request, session: SessionDep, settings: SettingsDep
) -> SessionState:
    """Who is signed in, or null: 200 either way, so the login page's first question is
    not an error in the browser's console (``/me`` answers 401 for the other services)."""
    instructor = session_instructor(http_request, session, settings)
    return SessionState(instructor=None if instructor is None else _public(instructor))


# --- studies -------------------------------------------------------------------------


@router.get("/studies")
def list_studies(
    instructor: InstructorDep, session: SessionDep, settings: SettingsDep
) -> list[StudyPublic]:
    """The instructor's own studies and those shared with them; the admin's: everyone's."""
    query = select(Study).order_by(Study.id)
    if not instructor.is_admin:
        shared = select(StudyShare.study_id).where(StudyShare.instructor_id == instructor.id)
        query = query.where((Study.instructor_id == instructor.id) | Study.id.in_(shared))
    studies = session.scalars(query)
    return [study_public(settings, study) for study in studies]


@router.post("/studies", status_code=201)
def new_study(
    *,
    request: StudyCreate,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> StudyPublic:
    study = create_study(session, instructor, request)
    record(
        session, http_request, now, Action.STUDY_CREATE, instructor=instructor, target=_of(study)
    )
    session.commit()
    return study_public(settings, study)


def _of(study: Study) -> str:
    return f"study {study.id}"


@router.get("/studies/{study_id}")
def get_study(
    study_id: RowId, instructor: InstructorDep, session: SessionDep, settings: SettingsDep
) -> StudyPublic:
    return study_public(settings, owned_study(session, instructor, study_id))


@router.patch("/studies/{study_id}")
def edit_study(
    *,
    study_id: RowId,
    request: StudyUpdate,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> StudyPublic:
    """Edit a draft; once students may have seen it, the design is frozen."""
    study = owned_study(session, instructor, study_id)
    if study.status != "draft":
        raise ApiError(409, "study_not_draft", "only a draft study can be edited")
    changed = request.model_dump(exclude_unset=True)
    for field, value in changed.items():
        if value is None:
            raise ApiError(422, "invalid_request", f"{field}: may not be null")
        setattr(study, field, value or None if field == "sections" else value)
    record(
        session,
        http_request,
        now,
        Action.STUDY_UPDATE,
        instructor=instructor,
        target=_of(study),
        detail={"fields": sorted(changed)},
    )
    session.commit()
    return study_public(settings, study)


@router.post("/studies/{study_id}/{action}")
def change_status(
    *,
    study_id: RowId,
    action: Literal["open", "close"],
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> StudyPublic:
    """draft → open → closed; opening writes the pre-registration (evaluation/preregistration.py),
    closing is final: the results are frozen (evaluation/freeze.py)."""
    study = owned_study(session, instructor, study_id)
    if action == "open":
        if study.status != "draft":
            raise ApiError(409, "invalid_transition", f"a {study.status} study cannot be opened")
        try:
            take_snapshot(session, study)  # its items from now on, whatever the bank does
        except EmptyFormError as empty:
            raise ApiError(409, "empty_form", str(empty)) from None
        study.status, study.opened_at = "open", now
        register(session, study, now)  # its plan, fixed before any student answers
    else:
        if study.status != "open":
            raise ApiError(409, "invalid_transition", f"a {study.status} study cannot be closed")
        study.status, study.closed_at = "closed", now
        freeze(session, study, now)  # its results are fixed from now on
    opened = action == "open"
    record(
        session,
        http_request,
        now,
        Action.STUDY_OPEN if opened else Action.STUDY_CLOSE,
        instructor=instructor,
        target=_of(study),
    )
    session.commit()
    return study_public(settings, study)


@router.put("/studies/{study_id}/shares")
def share_study(
    *,
    study_id: RowId,
    request: StudyShares,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> StudyPublic:
    """Share a study with colleagues (the list replaces the one before): they run it and
    read its results. Its owner or the admin only; a colleague it is shared with gets 403."""
    study = owned_study(session, instructor, study_id)
    if not (instructor.is_admin or study.instructor_id == instructor.id):
        raise ApiError(403, "not_your_study", "only the study's owner or the admin shares it")
    wanted = sorted(set(request.instructor_ids) - {study.instructor_id})
    known = set(session.scalars(select(Instructor.id).where(Instructor.id.in_(wanted))))
    if unknown := [i for i in wanted if i not in known]:
        raise ApiError(422, "unknown_instructor", f"instructor_ids: no instructor {unknown[0]}")
    study.shares = [StudyShare(study_id=study.id, instructor_id=i) for i in wanted]
    record(
        session,
        http_request,
        now,
        Action.STUDY_SHARE,
        instructor=instructor,
        target=_of(study),
        detail={"with": wanted},
    )
    session.commit()
    return study_public(settings, study)


@router.get(
    "/studies/{study_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "QR code (SVG)"}},
)
def join_qr(
    study_id: RowId, instructor: InstructorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """The join link as a QR code, to show on the projector."""
    link = join_link(settings, owned_study(session, instructor, study_id))
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="svg", scale=10, border=2)
    return Response(buffer.getvalue(), media_type="image/svg+xml")


@router.get("/studies/{study_id}/progress")
def study_progress(
    *,
    study_id: RowId,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Progress:
    """How many students are at each step, per condition, and who seems stuck."""
    study = owned_study(session, instructor, study_id)
    return progress(
        session,
        study.id,
        now,
        grace=timedelta(seconds=settings.evaluation_grace_seconds),
        stuck_after=timedelta(seconds=settings.evaluation_stuck_after_seconds),
    )


# --- item bank -----------------------------------------------------------------------


def _all_items(session: SessionDep) -> list[Item]:
    """The bank: each key's current version (superseded and retired ones are not offered)."""
    query = select(Item).where(Item.is_current.is_(True)).order_by(Item.form, Item.position)
    return list(session.scalars(query))


@router.get("/items")
def list_items(instructor: InstructorDep, session: SessionDep) -> list[ItemStored]:
    """The bank, each item with its version, owner and why this instructor cannot edit it."""
    used = used_item_ids(session)
    return [_stored(instructor, item, item.id in used) for item in _all_items(session)]


def _stored(instructor: Instructor, item: Item, in_use: bool) -> ItemStored:
    return ItemStored(
        id=item.id,
        locked=edit_refusal(instructor, item),
        version=item.version,
        owner_id=item.owner_id,
        owner=item.owner.email if item.owner is not None else None,
        in_use=in_use,
        **item_data(item).model_dump(),
    )


def _current_item(session: SessionDep, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise ApiError(404, "unknown_item", f"no item {item_id}")
    return item


@router.put("/items/{item_id}")
def edit_item(
    *,
    item_id: RowId,
    request: ItemData,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    now: NowDep,
) -> ItemStored:
    """Edit an item: in place while no study used it, else as its next version (a new id);
    its owner or the admin only (403), built-in items never."""
    item = _current_item(session, item_id)
    with bank_conflicts_refused(session):
        stored = change_item(session, instructor, item, request)
    record(
        session,
        http_request,
        now,
        Action.ITEMS_UPDATE,
        instructor=instructor,
        target=f"item {item_id}",
        detail={"key": stored.key, "version": stored.version, "id": stored.id},
    )
    commit_items(session)
    return _stored(instructor, stored, in_use=False)


@router.delete("/items/{item_id}", status_code=204)
def retire(
    *,
    item_id: RowId,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Retire an item: new studies no longer get it; studies that used it keep it."""
    item = _current_item(session, item_id)
    retire_item(session, instructor, item)
    record(
        session,
        http_request,
        now,
        Action.ITEMS_RETIRE,
        instructor=instructor,
        target=f"item {item_id}",
        detail={"key": item.key, "version": item.version},
    )
    session.commit()
    return Response(status_code=204)


@router.get(
    "/items/export.{fmt}",
    response_class=Response,
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def export_items(
    fmt: Literal["json", "csv"], _instructor: InstructorDep, session: SessionDep
) -> Response:
    items = _all_items(session)
    if fmt == "json":
        return Response(export_json(items), media_type="application/json")
    return Response(
        export_csv(items),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cnn101-items.csv"'},
    )


async def raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/items/import")
def import_bank(
    *,
    http_request: Request,
    instructor: InstructorDep,
    body: Annotated[bytes, Depends(raw_body)],
    session: SessionDep,
    now: NowDep,
    content_type: Annotated[str, Header()] = "",
) -> ImportResult:
    """Import JSON (``application/json``) or CSV (``text/csv``): all rows or none."""
    content_type = content_type.split(";")[0].strip().lower()
    if content_type == "application/json":
        items = parse_json(body)
    elif content_type == "text/csv":
        items = parse_csv(body)
    else:
        raise ApiError(415, "unsupported_media_type", "send application/json or text/csv")
    record(
        session,
        http_request,
        now,
        Action.ITEMS_IMPORT,
        instructor=instructor,
        detail={"items": len(items), "format": content_type},
    )
    return import_items(session, instructor, items)

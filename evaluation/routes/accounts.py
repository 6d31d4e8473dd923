"""Instructor accounts from the dashboard: change one's password; the admin adds colleagues.

Both apply the password policy of the command line (``evaluation.auth.password_problem``:
length and a zxcvbn strength estimate, the e-mail's words counted as guessable). Checking
the current password is a login in disguise, so it goes through the same guard: a hashing
slot, and the per-(client, account) failure window.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from evaluation.audit import Action, client_of, record
from evaluation.auth import (
    AdminDep,
    InstructorDep,
    create_instructor,
    hash_password,
    normalise_email,
    password_problem,
    role,
    set_session_cookie,
    verify_password,
)
from evaluation.deps import NowDep, SessionDep, SettingsDep
from evaluation.login_guard import LoginGuard
from evaluation.models import Instructor
from evaluation.schemas import StrictModel
from services.common.errors import ApiError

router = APIRouter(prefix="/api/instructor", tags=["accounts"])


class PasswordChange(StrictModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class NewInstructor(StrictModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=1, max_length=1024)


class InstructorAccount(BaseModel):
    id: int
    email: str
    role: str
    created_at: datetime


@router.post("/password", status_code=204)
def change_password(
    *,
    request: PasswordChange,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """A new password for the signed-in instructor; every other session of theirs ends."""
    guard: LoginGuard = http_request.app.state.login_guard
    client = client_of(http_request) or "unknown"
    guard.admit(client, instructor.email)
    with guard.hashing_slot():
        right = verify_password(instructor.password_hash, request.current_password)
    if not right:
        guard.record_failure(client, instructor.email)
        record(
            session, http_request, now, Action.PASSWORD_CHANGE, instructor=instructor, refused=True
        )
        session.commit()
        raise ApiError(403, "wrong_password", "the current password is not right")
    problem = password_problem(request.new_password, instructor.email)
    if problem:
        raise ApiError(422, "weak_password", problem)
    with guard.hashing_slot():
        instructor.password_hash = hash_password(request.new_password)
    instructor.session_epoch += 1
    record(session, http_request, now, Action.PASSWORD_CHANGE, instructor=instructor)
    session.commit()
    response = Response(status_code=204)
    set_session_cookie(response, settings, instructor)  # this session goes on
    return response


@router.get("/instructors")
def list_instructors(_admin: AdminDep, session: SessionDep) -> list[InstructorAccount]:
    """Every instructor account (the admin's view)."""
    return [
        InstructorAccount(id=i.id, email=i.email, role=role(i), created_at=i.created_at)
        for i in session.scalars(select(Instructor).order_by(Instructor.id))
    ]


@router.post("/instructors", status_code=201)
def add_instructor(
    *,
    request: NewInstructor,
    http_request: Request,
    admin: AdminDep,
    session: SessionDep,
    now: NowDep,
) -> InstructorAccount:
    """A colleague's account: they sign in with this password and change it themselves."""
    email = normalise_email(request.email)
    problem = password_problem(request.password, email)
    if problem:
        raise ApiError(422, "weak_password", problem)
    if session.scalar(select(Instructor.id).where(Instructor.email == email)) is not None:
        raise ApiError(409, "instructor_exists", f"an instructor {email} already exists")
    guard: LoginGuard = http_request.app.state.login_guard
    with guard.hashing_slot():
        colleague = create_instructor(session, email, request.password)
    record(session, http_request, now, Action.INSTRUCTOR_CREATE, instructor=admin, target=email)
    session.commit()
    return InstructorAccount(
        id=colleague.id,
        email=colleague.email,
        role=role(colleague),
        created_at=colleague.created_at,
    )


class Colleague(BaseModel):
    id: int
    email: str


@router.get("/colleagues")
def list_colleagues(instructor: InstructorDep, session: SessionDep) -> list[Colleague]:
    """The other instructors, whom one may share a model with in the studio."""
    others = session.scalars(
        select(Instructor).where(Instructor.id != instructor.id).order_by(Instructor.email)
    )
    return [Colleague(id=other.id, email=other.email) for other in others]

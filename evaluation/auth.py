"""Who is calling: instructors by a signed session cookie, students by a bearer token."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Annotated, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, contains_eager
from zxcvbn import zxcvbn

from evaluation.deps import SessionDep, SettingsDep
from evaluation.models import Instructor, Participant
from evaluation.settings import EvaluationSettings
from services.common.errors import ApiError

SESSION_COOKIE = "cnn101_instructor"
_hasher = PasswordHasher()
# Verifying against this keeps the login time the same whether or not the email exists.
_DUMMY_HASH = _hasher.hash("no such instructor")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    return email.strip().lower()


MIN_PASSWORD_LENGTH = 10
# zxcvbn's scale: 3 is "safely unguessable: moderate protection from offline slow-hash
# attacks" (about 10^10 guesses), which Argon2 makes a long way off.
MIN_PASSWORD_SCORE = 3


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is too easy to guess, or None: a length and a strength estimate."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password needs at least {MIN_PASSWORD_LENGTH} characters"
    own_words = [word for word in re.split(r"[^a-z0-9]+", email.lower()) if word]
    estimate = zxcvbn(password[:100], user_inputs=[email, *own_words])
    if estimate["score"] < MIN_PASSWORD_SCORE:
        feedback = estimate["feedback"]
        hint = feedback.get("warning") or " ".join(feedback.get("suggestions", []))
        return f"the password is too easy to guess{': ' + hint if hint else ''}"
    return None


def create_instructor(session: Session, email: str, password: str) -> Instructor:
    email = normalise_email(email)
    problem = password_problem(password, email)
    if problem:
        raise ValueError(problem)
    if session.scalar(select(Instructor).where(Instructor.email == email)) is not None:
        raise ValueError(f"an instructor {email} already exists")
    # The first instructor is the admin: they see and act on every study and studio resource.
    first = session.scalar(select(Instructor.id).where(Instructor.is_admin).limit(1)) is None
    instructor = Instructor(email=email, password_hash=hash_password(password), is_admin=first)
    session.add(instructor)
    session.commit()
    return instructor


def authenticate(session: Session, email: str, password: str) -> Instructor | None:
    instructor = session.scalar(
        select(Instructor).where(Instructor.email == normalise_email(email))
    )
    if instructor is None:
        verify_password(_DUMMY_HASH, password)
        return None
    return instructor if verify_password(instructor.password_hash, password) else None


def _serializer(settings: EvaluationSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key, salt="instructor-session")


def set_session_cookie(
    response: Response, settings: EvaluationSettings, instructor: Instructor
) -> None:
    value = _serializer(settings).dumps(
        {"instructor_id": instructor.id, "epoch": instructor.session_epoch}
    )
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.evaluation_session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


def clear_session_cookie(response: Response, settings: EvaluationSettings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.cookie_secure, path="/"
    )


def session_instructor(
    request: Request, session: Session, settings: EvaluationSettings
) -> Instructor | None:
    """The instructor of a valid, unexpired, not logged-out session cookie, if any."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        data = _serializer(settings).loads(
            cookie, max_age=settings.evaluation_session_max_age_seconds
        )
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    instructor_id, epoch = data.get("instructor_id"), data.get("epoch")
    instructor = session.get(Instructor, instructor_id) if isinstance(instructor_id, int) else None
    if instructor is None or epoch != instructor.session_epoch:
        return None
    return instructor


def current_instructor(request: Request, session: SessionDep, settings: SettingsDep) -> Instructor:
    """The instructor of a valid session cookie; anyone else gets 401."""
    if not request.cookies.get(SESSION_COOKIE):
        raise ApiError(401, "not_authenticated", "instructor login required")
    instructor = session_instructor(request, session, settings)
    if instructor is None:
        raise ApiError(401, "not_authenticated", "session invalid or expired")
    return instructor


def new_participant_token() -> tuple[str, str]:
    """A bearer token for a student and the hash stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "not_authenticated", "join the study first (participant token)")
    return token.strip()


async def participant_token(request: Request) -> str:
    """The participant's bearer token, unchecked (401 if there is none).

    For the class's hot routes: they look the participant up with :func:`participant_for`
    inside their one thread-pool job, instead of a job of its own for the lookup.
    """
    return _bearer_token(request)


# The study comes in the same query: every student request reads it (is it open?), and
# session.get() then finds it in the session instead of asking the database again
# (participant.study keeps it there: tests/evaluation/test_answer_queries.py). Built once,
# with a bound parameter: every student request runs it, and building it costs about
# 0.15 ms of CPU each time (docs/sizing.md).
_PARTICIPANT_BY_TOKEN = (
    select(Participant)
    .join(Participant.study)
    .options(contains_eager(Participant.study))
    .where(Participant.token_hash == bindparam("token_hash"))
)


def participant_for(session: Session, token: str) -> Participant:
    """The participant holding ``token``, or 401."""
    participant = session.scalar(_PARTICIPANT_BY_TOKEN, {"token_hash": token_hash(token)})
    if participant is None:
        raise ApiError(401, "not_authenticated", "unknown participant token")
    return participant


def current_participant(request: Request, session: SessionDep) -> Participant:
    return participant_for(session, _bearer_token(request))


InstructorDep = Annotated[Instructor, Depends(current_instructor)]


async def require_admin(instructor: InstructorDep) -> Instructor:
    """The admin's session; another instructor gets 403 (the access table reads this name)."""
    if not instructor.is_admin:
        raise ApiError(403, "admin_only", "only the admin (the first instructor) may do this")
    return instructor


AdminDep = Annotated[Instructor, Depends(require_admin)]


def role(instructor: Instructor) -> Literal["admin", "instructor"]:
    return "admin" if instructor.is_admin else "instructor"


ParticipantDep = Annotated[Participant, Depends(current_participant)]
ParticipantTokenDep = Annotated[str, Depends(participant_token)]

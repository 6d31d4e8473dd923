"""Who is calling: instructors by a signed session cookie, students by a bearer token."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

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


def create_instructor(session: Session, email: str, password: str) -> Instructor:
    email = normalise_email(email)
    if len(password) < 10:
        raise ValueError("the password needs at least 10 characters")
    if session.scalar(select(Instructor).where(Instructor.email == email)) is not None:
        raise ValueError(f"an instructor {email} already exists")
    instructor = Instructor(email=email, password_hash=hash_password(password))
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


class LoginThrottle:
    """Refuse logins for an email after repeated failures, so passwords cannot be guessed."""

    def __init__(self, max_failures: int = 5, window: timedelta = timedelta(minutes=5)) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, email: str, now: datetime) -> None:
        with self._lock:
            failures = self._failures[normalise_email(email)]
            while failures and now - failures[0] > self.window:
                failures.popleft()
            if len(failures) >= self.max_failures:
                raise ApiError(
                    429, "too_many_attempts", "too many failed logins; wait a few minutes"
                )

    def record(self, email: str, now: datetime, success: bool) -> None:
        with self._lock:
            if success:
                self._failures.pop(normalise_email(email), None)
            else:
                self._failures[normalise_email(email)].append(now)


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


def current_participant(request: Request, session: SessionDep) -> Participant:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "not_authenticated", "join the study first (participant token)")
    participant = session.scalar(
        select(Participant).where(Participant.token_hash == token_hash(token.strip()))
    )
    if participant is None:
        raise ApiError(401, "not_authenticated", "unknown participant token")
    return participant


InstructorDep = Annotated[Instructor, Depends(current_instructor)]
ParticipantDep = Annotated[Participant, Depends(current_participant)]

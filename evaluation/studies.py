"""Studies: creation with a unique join code and a recorded seed, the public view."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.models import CONDITIONS, Instructor, Study, StudyShare
from evaluation.schemas import StudyCreate, StudyPublic
from evaluation.settings import EvaluationSettings
from services.common.errors import ApiError

JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
JOIN_CODE_LENGTH = 6


def new_join_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if session.scalar(select(Study.id).where(Study.join_code == code)) is None:
            return code


def create_study(session: Session, owner: Instructor, request: StudyCreate) -> Study:
    seed = request.assignment_seed
    study = Study(
        instructor_id=owner.id,
        title=request.title,
        consent_text=request.consent_text,
        learning_seconds=request.learning_seconds,
        pre_test_seconds=request.pre_test_seconds,
        post_test_seconds=request.post_test_seconds,
        status="draft",
        join_code=new_join_code(session),
        assignment_seed=secrets.randbits(62) if seed is None else seed,
        expected_students=request.expected_students,
        sections=request.sections or None,
    )
    session.add(study)
    session.commit()
    return study


def may_run(session: Session, instructor: Instructor, study: Study) -> bool:
    """Its owner, the admin, or a colleague the owner shared it with."""
    if instructor.is_admin or study.instructor_id == instructor.id:
        return True
    return session.get(StudyShare, (study.id, instructor.id)) is not None


def owned_study(session: Session, owner: Instructor, study_id: int) -> Study:
    """The study if ``owner`` may run it (owner, sharer, admin); another's does not exist."""
    study = session.get(Study, study_id)
    if study is None or not may_run(session, owner, study):
        raise ApiError(404, "unknown_study", f"no study {study_id}")
    return study


def join_link(settings: EvaluationSettings, study: Study) -> str:
    """The student page (the SPA's ``study.html`` entry, served by the gateway) with the code."""
    base = settings.evaluation_public_url.rstrip("/")
    return f"{base}/study.html?{urlencode({'code': study.join_code})}"


def study_public(settings: EvaluationSettings, study: Study) -> StudyPublic:
    prereg = study.preregistration
    return StudyPublic(
        id=study.id,
        title=study.title,
        consent_text=study.consent_text,
        conditions=list(CONDITIONS),
        learning_seconds=study.learning_seconds,
        pre_test_seconds=study.pre_test_seconds,
        post_test_seconds=study.post_test_seconds,
        status=study.status,
        join_code=study.join_code,
        owner_email=study.owner.email,
        shared_with=[share.instructor_id for share in study.shares],
        join_link=join_link(settings, study),
        assignment_seed=study.assignment_seed,
        expected_students=study.expected_students,
        sections=list(study.sections or []),
        created_at=study.created_at,
        opened_at=study.opened_at,
        closed_at=study.closed_at,
        preregistration_sha256=None if prereg is None else prereg.sha256,
    )

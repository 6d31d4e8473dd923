"""Storing a quiz answer: the class's most frequent request, in two SQL statements.

At the pre-test peak a class of 1,000 sends about 285 answers a second, and the study
service's CPU per answer decides how large a class one machine holds (docs/sizing.md). So an
answer reads what it checks (the participant, their study's status and the phase's attempt)
in one Core statement and stores itself with a Core INSERT: no ORM objects are built, loaded
or flushed. The rules are those of the rest of the flow (evaluation/flow.py): an answer goes
to a started phase that is not over in an open study, for an item on the student's form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Table, and_, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evaluation.auth import token_hash
from evaluation.flow import is_over
from evaluation.items.snapshot import StudyFormsCache
from evaluation.models import Answer, Participant, PhaseAttempt, Study
from evaluation.schemas import AnswerReceipt, AnswerRequest
from services.common.errors import ApiError

_participant = cast(Table, Participant.__table__)
_study = cast(Table, Study.__table__)
_attempt = cast(Table, PhaseAttempt.__table__)
_answer = cast(Table, Answer.__table__)

# The statements are built once, here, with bound parameters: building a SELECT or an
# INSERT costs about 0.2 ms of CPU each time, a sixth of an answer's (docs/sizing.md).
# SQLAlchemy caches the compiled SQL of a statement object it has seen.
_CONTEXT = (
    select(
        _participant.c.id,
        _participant.c.study_id,
        _study.c.status,
        _attempt.c.form,
        _attempt.c.started_at,
        _attempt.c.deadline_at,
        _attempt.c.finished_at,
    )
    .join(_study, _study.c.id == _participant.c.study_id)
    .outerjoin(
        _attempt,
        and_(
            _attempt.c.participant_id == _participant.c.id,
            _attempt.c.phase == bindparam("phase"),
        ),
    )
    .where(_participant.c.token_hash == bindparam("token_hash"))
)
_STORE = insert(_answer)
_PREVIOUS = select(
    _answer.c.participant_id,
    _answer.c.item_id,
    _answer.c.phase,
    _answer.c.choice_index,
    _answer.c.answered_at,
).where(_answer.c.submission_id == bindparam("submission_id"))


@dataclass(frozen=True)
class _AttemptFacts:
    """The phase's started attempt, as far as an answer needs it."""

    form: str | None
    started_at: datetime
    deadline_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class _AnswerContext:
    """What an answer is checked against, as one row of the database."""

    participant_id: int
    study_id: int
    study_status: str
    attempt: _AttemptFacts | None  # None: the phase has not started


def _context(connection: Connection, token: str, phase: str) -> _AnswerContext:
    """The token's participant with their study and their attempt at ``phase``, or 401."""
    row = connection.execute(
        _CONTEXT, {"phase": phase, "token_hash": token_hash(token)}
    ).one_or_none()
    if row is None:
        raise ApiError(401, "not_authenticated", "unknown participant token")
    attempt = (
        None
        if row.started_at is None
        else _AttemptFacts(row.form, row.started_at, row.deadline_at, row.finished_at)
    )
    return _AnswerContext(row.id, row.study_id, row.status, attempt)


def _attempt_taking_answers(
    context: _AnswerContext, phase: str, now: datetime, grace: timedelta
) -> _AttemptFacts | ApiError:
    """The attempt an answer in ``phase`` goes to, or why it cannot be stored now."""
    if context.study_status != "open":
        return ApiError(409, "study_not_open", f"the study is {context.study_status}")
    if context.attempt is None:
        return ApiError(409, "phase_not_started", f"the {phase} phase has not started")
    if is_over(context.attempt, now, grace):
        return ApiError(409, "phase_over", f"the {phase} phase is over; answer not stored")
    return context.attempt


def store_answer(
    session: Session,
    token: str,
    request: AnswerRequest,
    now: datetime,
    grace: timedelta,
    *,
    forms: StudyFormsCache,
    in_group: bool = False,
) -> AnswerReceipt:
    """Store one answer, committed before the receipt is returned; retries are recognised.

    A retry of a stored answer gets its receipt even once the phase or the study is over;
    it is looked for only where the answer would otherwise be refused (the unique
    submission id catches the rest), which spares every first try a query.

    ``in_group``: the answer is one write of a group that is committed together
    (evaluation/write_groups.py), under a savepoint of its own: nothing is committed or
    rolled back here.
    """
    connection = session.connection()
    context = _context(connection, token, request.phase)
    attempt = _attempt_taking_answers(context, request.phase, now, grace)
    if isinstance(attempt, ApiError):
        receipt = _receipt_for_retry(connection, context.participant_id, request)
        if receipt is None:
            raise attempt
        return receipt
    item = (
        None
        if attempt.form is None
        else forms.item(session, context.study_id, request.item_id, attempt.form)
    )
    if item is None:
        raise ApiError(422, "unknown_item", f"item {request.item_id} is not on your form")
    if request.choice_index >= item.option_count:
        raise ApiError(
            422,
            "invalid_choice",
            f"choice_index {request.choice_index} is out of range ({item.option_count} options)",
        )
    row = {
        "participant_id": context.participant_id,
        "item_id": item.item_id,
        "phase": request.phase,
        "choice_index": request.choice_index,
        "is_correct": request.choice_index == item.correct_index,
        "submission_id": request.submission_id,
        "answered_at": now,
        "elapsed_ms": int((now - attempt.started_at).total_seconds() * 1000),
    }
    try:
        connection.execute(_STORE, row)
        if not in_group:
            session.commit()
    except IntegrityError as exc:
        if not in_group:
            session.rollback()
        receipt = _receipt_for_retry(session.connection(), context.participant_id, request)
        if receipt is None:
            raise ApiError(
                409,
                "already_answered",
                f"item {request.item_id} was already answered in this phase",
            ) from exc
        return receipt
    return AnswerReceipt(
        submission_id=request.submission_id,
        phase=request.phase,
        item_id=item.item_id,
        choice_index=request.choice_index,
        answered_at=now,
    )


def _receipt_for_retry(
    connection: Connection, participant_id: int, request: AnswerRequest
) -> AnswerReceipt | None:
    """The stored answer's receipt when ``request`` repeats it, None when its submission id
    is new; 409 ``submission_id_reused`` when the id was used for another answer."""
    previous = connection.execute(_PREVIOUS, {"submission_id": request.submission_id}).one_or_none()
    if previous is None:
        return None
    same = (previous.participant_id, previous.item_id, previous.phase, previous.choice_index) == (
        participant_id,
        request.item_id,
        request.phase,
        request.choice_index,
    )
    if not same:
        raise ApiError(
            409, "submission_id_reused", "this submission_id was already used for another answer"
        )
    return AnswerReceipt(
        submission_id=request.submission_id,
        phase=previous.phase,
        item_id=previous.item_id,
        choice_index=previous.choice_index,
        answered_at=previous.answered_at,
    )

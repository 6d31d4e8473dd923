"""The student's path through a study, as a state machine over stored rows.

Every step is derived from the database (consent, attempts, condition, questionnaire), so a
reload or a second device resumes exactly where the student was. Deadlines are fixed when a
phase starts and checked against the server's clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evaluation.assignment import (
    allocate,
    condition_sequence,
    form_order_sequence,
    lock_participant,
    section_stratum,
    share_study,
)
from evaluation.items.snapshot import StudyFormsCache
from evaluation.models import (
    CONDITIONS,
    FORM_ORDERS,
    Answer,
    Participant,
    PhaseAttempt,
    QuestionnaireResponse,
    Study,
)
from evaluation.schemas import (
    ConsentRequest,
    ItemForStudent,
    PhaseView,
    QuestionnaireRequest,
)
from evaluation.scoring import correct_count_query, score_band, stratum_key
from services.common.errors import ApiError

TERMINAL_STEPS = ("declined", "free_use", "done")


# The class-wide steps' statements are built once, with bound parameters: building one
# costs 0.05-0.2 ms of CPU, a share of each request's that the class pays a thousand times
# at once (docs/sizing.md). SQLAlchemy caches each statement's compiled SQL.
_ATTEMPTS = select(PhaseAttempt).where(PhaseAttempt.participant_id == bindparam("participant_id"))
_ATTEMPTS_AND_SCORE = select(
    PhaseAttempt,
    correct_count_query(bindparam("participant_id"), bindparam("phase")).scalar_subquery(),
).where(PhaseAttempt.participant_id == bindparam("participant_id"))
_ANSWERED = select(Answer.item_id, Answer.choice_index).where(
    Answer.participant_id == bindparam("participant_id"), Answer.phase == bindparam("phase")
)


def attempts_by_phase(session: Session, participant: Participant) -> dict[str, PhaseAttempt]:
    rows = session.scalars(_ATTEMPTS, {"participant_id": participant.id})
    return {attempt.phase: attempt for attempt in rows}


def attempts_and_score(
    session: Session, participant: Participant, phase: str
) -> tuple[dict[str, PhaseAttempt], int]:
    """:func:`attempts_by_phase` and the correct answers in ``phase``, in one statement: an
    assignment needs both, and a class's assignments all come at once (docs/sizing.md)."""
    rows = session.execute(
        _ATTEMPTS_AND_SCORE, {"participant_id": participant.id, "phase": phase}
    ).all()
    attempts = {attempt.phase: attempt for attempt, _ in rows}
    return attempts, (rows[0][1] if rows else 0)


class Deadlined(Protocol):
    """A phase attempt as far as its end goes: a stored one, or an answer's read of it."""

    @property
    def deadline_at(self) -> datetime: ...

    @property
    def finished_at(self) -> datetime | None: ...


def is_over(attempt: Deadlined, now: datetime, grace: timedelta) -> bool:
    return attempt.finished_at is not None or now >= attempt.deadline_at + grace


def current_step(
    session: Session, participant: Participant, now: datetime, grace: timedelta
) -> str:
    """Where ``participant`` is in the flow (two queries; :func:`step_of` for many at once)."""
    return step_and_attempts(session, participant, now, grace)[0]


def step_and_attempts(
    session: Session, participant: Participant, now: datetime, grace: timedelta
) -> tuple[str, dict[str, PhaseAttempt]]:
    """:func:`current_step` with the attempts it read, for a caller that shows them too."""
    if participant.consent in (None, "decline", "no_data"):
        return step_of(participant, {}, False, now, grace), {}
    answered = session.get(QuestionnaireResponse, participant.id) is not None
    attempts = attempts_by_phase(session, participant)
    return step_of(participant, attempts, answered, now, grace), attempts


def step_of(  # noqa: PLR0911  (one return per step reads like the flow chart)
    participant: Participant,
    attempts: dict[str, PhaseAttempt],
    questionnaire_done: bool,
    now: datetime,
    grace: timedelta,
) -> str:
    """Where ``participant`` is, from their attempts and whether they sent the questionnaire."""
    if participant.consent is None:
        return "consent"
    if participant.consent == "decline":
        return "declined"
    if participant.consent == "no_data":
        return "free_use"
    pre, learning, post = (attempts.get(phase) for phase in ("pre", "learning", "post"))
    if pre is None or not is_over(pre, now, grace):
        return "pre_test"
    if participant.condition is None:
        return "assignment"
    # The learning phase has no grace: everyone gets exactly the same time.
    if learning is None or not is_over(learning, now, timedelta(0)):
        return "learning"
    if post is None or not is_over(post, now, grace):
        return "post_test"
    if not questionnaire_done:
        return "questionnaire"
    return "done"


def form_for(participant: Participant, phase: str) -> str | None:
    if participant.form_order is None or phase == "learning":
        return None
    return participant.form_order[0] if phase == "pre" else participant.form_order[1]


def phase_view(
    session: Session,
    attempt: PhaseAttempt,
    now: datetime,
    include_items: bool,
    *,
    forms: StudyFormsCache,
) -> PhaseView:
    items: list[ItemForStudent] = []
    answered: dict[int, int] = {}
    if include_items and attempt.form is not None:
        study_id = session.get_one(Participant, attempt.participant_id).study_id
        for item in forms.items(session, study_id, attempt.form):
            items.append(
                ItemForStudent(
                    id=item.item_id,
                    position=item.position,
                    stem=item.stem,
                    options=list(item.options),
                )
            )
        rows = session.execute(
            _ANSWERED, {"participant_id": attempt.participant_id, "phase": attempt.phase}
        )
        answered = {item_id: choice_index for item_id, choice_index in rows}
    condition = None
    if attempt.phase == "learning":
        condition = session.get_one(Participant, attempt.participant_id).condition
    return PhaseView(
        phase=attempt.phase,
        form=attempt.form,
        condition=condition,
        started_at=attempt.started_at,
        deadline_at=attempt.deadline_at,
        seconds_left=max(0.0, (attempt.deadline_at - now).total_seconds()),
        finished_at=attempt.finished_at,
        items=items,
        answered=answered,
    )


def _require_open(study: Study) -> None:
    if study.status != "open":
        raise ApiError(409, "study_not_open", f"the study is {study.status}")


def _require_step(actual: str, *expected: str) -> None:
    if actual not in expected:
        raise ApiError(
            409, "wrong_step", f"this needs step {' or '.join(expected)}; you are at {actual}"
        )


def _commit(session: Session, in_group: bool) -> None:
    """Commit, or only flush when the caller commits a group of requests together
    (evaluation/write_groups.py)."""
    if in_group:
        session.flush()
    else:
        session.commit()


def give_consent(
    session: Session,
    participant: Participant,
    request: ConsentRequest,
    now: datetime,
    *,
    in_group: bool = False,
) -> None:
    """Record the choice once; participants get a counterbalanced form order."""
    study = share_study(session, participant.study_id)
    _require_open(study)
    participant = lock_participant(session, participant.id)
    if participant.consent is not None:
        if participant.consent == request.choice and (
            request.choice != "participate"
            or (participant.prior_ml, participant.section) == (request.prior_ml, request.section)
        ):
            return
        raise ApiError(409, "consent_already_given", "the consent choice was already recorded")
    if request.choice == "participate":
        # The choice goes into the participant's row with the form order, in one UPDATE.
        allocate(
            session,
            study,
            participant,
            kind="form_order",
            sequence=form_order_sequence(study, bool(request.prior_ml), request.section),
            arms=FORM_ORDERS,
            now=now,
            arm_column="form_order",
            slot_column="form_slot",
            values={
                "prior_ml": request.prior_ml,
                "section": request.section,
                "consent": request.choice,
                "consented_at": now,
            },
        )
    else:
        participant.consent = request.choice
        participant.consented_at = now
    _commit(session, in_group)


def start_phase(
    session: Session,
    participant: Participant,
    phase: str,
    now: datetime,
    grace: timedelta,
    *,
    in_group: bool = False,
) -> PhaseAttempt:
    """Start a phase once; starting it again returns the same attempt and deadline.

    In a group (``in_group``) a double click cannot race: the group holds the write lock,
    and a start earlier in the same group is found in the group's session."""
    study = session.get_one(Study, participant.study_id)
    attempts = attempts_by_phase(session, participant)
    existing = attempts.get(phase)
    if existing is not None:
        return existing
    _require_open(study)
    expected = {"pre": "pre_test", "learning": "learning", "post": "post_test"}[phase]
    # The attempts just read give the step; the questionnaire need not be read: with this
    # phase not started, the step stops at it at the latest.
    _require_step(step_of(participant, attempts, False, now, grace), expected)
    seconds = {
        "pre": study.pre_test_seconds,
        "learning": study.learning_seconds,
        "post": study.post_test_seconds,
    }[phase]
    attempt = PhaseAttempt(
        participant_id=participant.id,
        phase=phase,
        form=form_for(participant, phase),
        started_at=now,
        deadline_at=now + timedelta(seconds=seconds),
    )
    session.add(attempt)
    try:
        _commit(session, in_group)
    except IntegrityError:
        if in_group:
            raise
        # A double click started it concurrently: the first one wins.
        session.rollback()
        winner = attempts_by_phase(session, participant).get(phase)
        if winner is None:
            raise
        return winner
    return attempt


def finish_quiz(
    session: Session,
    participant: Participant,
    phase: str,
    now: datetime,
    grace: timedelta,
    *,
    in_group: bool = False,
) -> PhaseAttempt:
    attempt = attempts_by_phase(session, participant).get(phase)
    if attempt is None:
        raise ApiError(409, "phase_not_started", f"the {phase} phase has not started")
    if attempt.finished_at is None:
        expired = now >= attempt.deadline_at + grace
        attempt.finished_at = attempt.deadline_at if expired else now
        attempt.finish_reason = "time_limit" if expired else "submitted"
        _commit(session, in_group)
    return attempt


def assign_condition(
    session: Session,
    participant_id: int,
    now: datetime,
    grace: timedelta,
    *,
    forms: StudyFormsCache,
    in_group: bool = False,
) -> Participant:
    """Allocate the condition once the pre-test is over; pressing twice changes nothing.

    A class's allocations, which all come as its pre-test ends, queue only on their own
    sequence's counter (evaluation/assignment.py), for the allocation itself. What the
    stratum needs (the step, the pre-test's score and form) is read before: only this
    participant's own requests change those, and none can once the pre-test is over.
    """
    participant = session.get_one(Participant, participant_id)
    if participant.condition is not None:
        return participant
    attempts, correct = attempts_and_score(session, participant, "pre")
    # Without a condition the step stops at the assignment: the questionnaire need not be read.
    _require_step(step_of(participant, attempts, False, now, grace), "assignment")
    pre = attempts["pre"]
    assert pre.form is not None and participant.prior_ml is not None
    band = score_band(correct, len(forms.items(session, participant.study_id, pre.form)))
    stratum = section_stratum(stratum_key(band, participant.prior_ml), participant.section)
    study = share_study(session, participant.study_id)
    participant = lock_participant(session, participant.id)
    if participant.condition is not None:  # a concurrent press allocated it
        return participant
    _require_open(study)
    if pre.finished_at is None:
        pre.finished_at, pre.finish_reason = pre.deadline_at, "time_limit"
    assert participant.form_order is not None
    sequence = condition_sequence(study, stratum, participant.form_order)
    allocate(
        session,
        study,
        participant,
        kind="condition",
        sequence=sequence,
        arms=CONDITIONS,
        now=now,
        arm_column="condition",
        slot_column="condition_slot",
        values={"stratum": stratum, "assigned_at": now},
    )
    _commit(session, in_group)
    return participant


def submit_questionnaire(
    session: Session,
    participant: Participant,
    request: QuestionnaireRequest,
    now: datetime,
    grace: timedelta,
) -> None:
    existing = session.get(QuestionnaireResponse, participant.id)
    if existing is not None:
        same = (existing.umux_capabilities, existing.umux_ease, existing.mental_effort) == (
            request.umux_capabilities,
            request.umux_ease,
            request.mental_effort,
        )
        if same:
            return
        raise ApiError(409, "already_submitted", "the questionnaire was already submitted")
    _require_open(session.get_one(Study, participant.study_id))
    _require_step(current_step(session, participant, now, grace), "questionnaire")
    post = attempts_by_phase(session, participant)["post"]
    if post.finished_at is None:
        post.finished_at, post.finish_reason = post.deadline_at, "time_limit"
    session.add(
        QuestionnaireResponse(
            participant_id=participant.id, submitted_at=now, **request.model_dump()
        )
    )
    participant.completed_at = now
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ApiError(409, "already_submitted", "the questionnaire was already submitted") from exc

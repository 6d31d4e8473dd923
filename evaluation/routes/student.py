"""The student's endpoints: join, consent, quizzes, assignment, learning, questionnaire."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal, TypeVar, cast

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evaluation import flow
from evaluation.answers import store_answer
from evaluation.audit import Action, record
from evaluation.auth import (
    ParticipantDep,
    ParticipantTokenDep,
    new_participant_token,
    participant_for,
)
from evaluation.deps import NowDep, ReadSessionDep, SessionDep, SettingsDep, StudyFormsDep
from evaluation.items.snapshot import StudyFormsCache
from evaluation.models import AllocationLog, InteractionEvent, Participant, Study
from evaluation.schemas import (
    AnswerReceipt,
    AnswerRequest,
    AssignmentResult,
    ConsentRequest,
    EventsReceipt,
    EventsRequest,
    JoinRequest,
    JoinResponse,
    Outcome,
    PhaseView,
    QuestionnaireRequest,
    StudentState,
)
from evaluation.scoring import build_outcome
from evaluation.section_choice import chosen_section
from evaluation.sections import names_of
from evaluation.settings import EvaluationSettings
from evaluation.write_groups import WriteGroupsDep, write
from services.common.errors import ApiError

router = APIRouter(prefix="/api/student", tags=["student"])
T = TypeVar("T")
_STORE_EVENT = insert(cast(Table, InteractionEvent.__table__))
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _grace(settings: EvaluationSettings) -> timedelta:
    return timedelta(seconds=settings.evaluation_grace_seconds)


def normalise_join_code(code: str) -> str:
    return "".join(code.split()).upper().replace("-", "")


@router.post("/join", status_code=201)
async def join(
    request: JoinRequest, session: SessionDep, now: NowDep, groups: WriteGroupsDep
) -> JoinResponse:
    """Join an open study by its code; the token returned identifies the student."""
    # A class joins within a minute: one thread-pool job (or write of a group), as the
    # hot paths below.
    return await write(
        groups, session, lambda db, grouped: _join(request, db, now, in_group=grouped)
    )


def new_participant_code() -> str:
    return "P-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def _join(
    request: JoinRequest, session: Session, now: datetime, *, in_group: bool = False
) -> JoinResponse:
    study = session.scalar(
        select(Study).where(Study.join_code == normalise_join_code(request.code))
    )
    if study is None:
        raise ApiError(404, "unknown_code", "no study has this join code")
    if study.status != "open":
        raise ApiError(409, "study_not_open", f"the study is {study.status}")
    for _ in range(5):
        token, digest = new_participant_token()
        code = new_participant_code()
        participant = Participant(study_id=study.id, code=code, token_hash=digest, joined_at=now)
        try:
            # In a group a taken code undoes only its own savepoint; alone, the transaction.
            if in_group:
                with session.begin_nested():
                    session.add(participant)
                    session.flush()
            else:
                session.add(participant)
                session.commit()
        except IntegrityError:
            if not in_group:
                session.rollback()
            continue
        return JoinResponse(
            token=token,
            participant_code=code,
            study_title=study.title,
            consent_text=study.consent_text,
            sections=names_of(study),
        )
    raise ApiError(503, "try_again", "could not allocate a participant code; try again")


@router.get("/state")
async def state(
    token: ParticipantTokenDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    now: NowDep,
    forms: StudyFormsDep,
) -> StudentState:
    # One thread-pool job: a class asks as its learning phase ends.
    grace = _grace(settings)
    return await run_in_threadpool(
        _read_then_end, session, lambda: _state(token, session, now, grace, forms=forms)
    )


def _read_then_end(session: Session, read: Callable[[], T]) -> T:
    """``read()``, then the end of its read-only transaction, in the same thread-pool job:
    the session's dependency would otherwise roll it back in a job of its own."""
    try:
        return read()
    finally:
        session.rollback()


def _state(
    token: str,
    session: Session,
    now: datetime,
    grace: timedelta,
    *,
    forms: StudyFormsCache,
) -> StudentState:
    participant = participant_for(session, token)
    study = session.get_one(Study, participant.study_id)
    step, attempts = flow.step_and_attempts(session, participant, now, grace)
    phase_for_step = {"pre_test": "pre", "learning": "learning", "post_test": "post"}
    attempt = attempts.get(phase_for_step.get(step, ""))
    return StudentState(
        participant_code=participant.code,
        study_title=study.title,
        study_status=study.status,
        consent_text=study.consent_text,
        step=step,
        consent=participant.consent,
        condition=participant.condition,
        phase=None
        if attempt is None
        else flow.phase_view(
            session, attempt, now, include_items=attempt.form is not None, forms=forms
        ),
        sections=names_of(study),
        section=participant.section,
    )


@router.post("/consent", status_code=204)
async def consent(
    request: ConsentRequest,
    token: ParticipantTokenDep,
    session: SessionDep,
    now: NowDep,
    groups: WriteGroupsDep,
) -> Response:
    """Record the consent choice; a study with sections needs the student's section to
    participate (an unknown one is refused before anything is stored)."""
    # A class consents within a minute: one thread-pool job (or write of a group), as the
    # hot paths below.
    await write(
        groups, session, lambda db, grouped: _consent(request, token, db, now, in_group=grouped)
    )
    return Response(status_code=204)


def _consent(
    request: ConsentRequest, token: str, session: Session, now: datetime, *, in_group: bool = False
) -> None:
    participant = participant_for(session, token)
    study = session.get_one(Study, participant.study_id)
    section = chosen_section(study, request.section, request.choice == "participate")
    request = request.model_copy(update={"section": section})
    flow.give_consent(session, participant, request, now, in_group=in_group)


# The class's hot paths (phases, answers, assignment, events) are async routes whose
# database work, the participant's lookup included, is one explicit thread-pool job: a
# sync route costs FastAPI a job per sync dependency and one more to check its response
# model, a large share of an answer's CPU at the pre-test peak (docs/sizing.md). On SQLite
# that work is instead one write of a group (evaluation/write_groups.py): every write
# there holds the database's one lock, and a group takes it and commits once.


@router.post("/phases/{phase}/start")
async def start_phase(
    phase: Literal["pre", "learning", "post"],
    token: ParticipantTokenDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    *,
    forms: StudyFormsDep,
    groups: WriteGroupsDep,
) -> PhaseView:
    grace = _grace(settings)
    return await write(
        groups,
        session,
        lambda db, grouped: _start_phase(
            phase, token, db, now, grace, forms=forms, in_group=grouped
        ),
    )


def _start_phase(
    phase: Literal["pre", "learning", "post"],
    token: str,
    session: Session,
    now: datetime,
    grace: timedelta,
    *,
    forms: StudyFormsCache,
    in_group: bool = False,
) -> PhaseView:
    participant = participant_for(session, token)
    attempt = flow.start_phase(session, participant, phase, now, grace, in_group=in_group)
    return flow.phase_view(
        session, attempt, now, include_items=attempt.form is not None, forms=forms
    )


@router.post("/phases/{phase}/finish")
async def finish_phase(
    phase: Literal["pre", "post"],
    token: ParticipantTokenDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    *,
    forms: StudyFormsDep,
    groups: WriteGroupsDep,
) -> PhaseView:
    grace = _grace(settings)
    return await write(
        groups,
        session,
        lambda db, grouped: _finish_phase(
            phase, token, db, now, grace, forms=forms, in_group=grouped
        ),
    )


def _finish_phase(
    phase: Literal["pre", "post"],
    token: str,
    session: Session,
    now: datetime,
    grace: timedelta,
    *,
    forms: StudyFormsCache,
    in_group: bool = False,
) -> PhaseView:
    participant = participant_for(session, token)
    attempt = flow.finish_quiz(session, participant, phase, now, grace, in_group=in_group)
    return flow.phase_view(session, attempt, now, include_items=False, forms=forms)


@router.post("/answers")
async def answer(
    request: AnswerRequest,
    token: ParticipantTokenDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    *,
    forms: StudyFormsDep,
    groups: WriteGroupsDep,
) -> AnswerReceipt:
    grace = _grace(settings)
    return await write(
        groups,
        session,
        lambda db, grouped: store_answer(
            db, token, request, now, grace, forms=forms, in_group=grouped
        ),
    )


@router.post("/assignment")
async def assignment(
    token: ParticipantTokenDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    *,
    forms: StudyFormsDep,
    groups: WriteGroupsDep,
) -> AssignmentResult:
    grace = _grace(settings)
    return await write(
        groups,
        session,
        lambda db, grouped: _assignment(token, db, now, grace, forms=forms, in_group=grouped),
    )


def _assignment(
    token: str,
    session: Session,
    now: datetime,
    grace: timedelta,
    *,
    forms: StudyFormsCache,
    in_group: bool = False,
) -> AssignmentResult:
    participant = participant_for(session, token)
    assigned = flow.assign_condition(
        session, participant.id, now, grace, forms=forms, in_group=in_group
    )
    assert assigned.condition is not None and assigned.stratum is not None
    return AssignmentResult(condition=assigned.condition, stratum=assigned.stratum)


@router.post("/events")
async def events(
    request: EventsRequest,
    token: ParticipantTokenDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    *,
    groups: WriteGroupsDep,
) -> EventsReceipt:
    """Store a batch of interaction events; only from participants who consented."""
    return await write(
        groups,
        session,
        lambda db, grouped: _events(request, token, db, settings, now, in_group=grouped),
    )


def _events(
    request: EventsRequest,
    token: str,
    session: Session,
    settings: EvaluationSettings,
    now: datetime,
    *,
    in_group: bool = False,
) -> EventsReceipt:
    """``in_group``: one write of a group committed together (evaluation/write_groups.py)."""
    participant = participant_for(session, token)
    limit = settings.evaluation_max_events_per_batch
    if len(request.events) > limit:
        raise ApiError(413, "too_many_events", f"send at most {limit} events per batch")
    if participant.consent != "participate":
        raise ApiError(409, "no_consent", "events are stored only for study participants")
    if session.get_one(Study, participant.study_id).status != "open":
        raise ApiError(409, "study_not_open", "the study is closed; events are not stored")
    if request.events:
        # One Core INSERT for the batch: the ORM would build, flush and read back an object
        # per event, which no one reads (a class sends about 100 events a second).
        session.execute(
            _STORE_EVENT,
            [
                {
                    "participant_id": participant.id,
                    "kind": event.kind,
                    "client_time_ms": event.client_time_ms,
                    "received_at": now,
                    "payload": event.payload,
                }
                for event in request.events
            ],
        )
    if not in_group:
        session.commit()
    return EventsReceipt(stored=len(request.events))


@router.post("/questionnaire", status_code=204)
async def questionnaire(
    request: QuestionnaireRequest,
    token: ParticipantTokenDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    # One thread-pool job (a sync route and dependency took two).
    await run_in_threadpool(_questionnaire, request, token, session, now, _grace(settings))
    return Response(status_code=204)


def _questionnaire(
    request: QuestionnaireRequest, token: str, session: Session, now: datetime, grace: timedelta
) -> None:
    flow.submit_questionnaire(session, participant_for(session, token), request, now, grace)


@router.get("/outcome")
async def outcome(
    token: ParticipantTokenDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Outcome:
    """Scores, correct answers and explanations, once the student is done."""
    # One thread-pool job, the end of the read-only transaction included.
    grace = _grace(settings)
    return await run_in_threadpool(
        _read_then_end, session, lambda: _outcome(token, session, now, grace)
    )


def _outcome(token: str, session: Session, now: datetime, grace: timedelta) -> Outcome:
    participant = participant_for(session, token)
    step = flow.current_step(session, participant, now, grace)
    if step != "done":
        raise ApiError(
            409, "wrong_step", f"the outcome is shown when you are done; you are at {step}"
        )
    assert participant.form_order is not None
    forms = {"pre": participant.form_order[0], "post": participant.form_order[1]}
    return build_outcome(session, participant.study_id, participant.id, forms)


@router.delete("/me", status_code=204)
def withdraw(
    participant: ParticipantDep, request: Request, session: SessionDep, now: NowDep
) -> Response:
    """Withdrawal: the participant and everything recorded about them is deleted.

    The audit log keeps that a withdrawal happened in which study, and nothing of theirs.
    Once the study is closed its results are final (evaluation/freeze.py): a withdrawal is
    refused (409 ``study_closed``), and the refusal is in the audit log.
    """
    study = session.get_one(Study, participant.study_id)
    if study.status == "closed":
        record(
            session,
            request,
            now,
            Action.WITHDRAWAL,
            target=f"study {participant.study_id}",
            refused=True,
            detail={"reason": "study_closed"},
            keep_client=False,
        )
        session.commit()
        raise ApiError(
            409,
            "study_closed",
            "the study is closed and its results are final, so your data can no longer be "
            "withdrawn here; ask the instructor who ran it",
        )
    record(
        session,
        request,
        now,
        Action.WITHDRAWAL,
        target=f"study {participant.study_id}",
        keep_client=False,  # their address would be data about them
    )
    # The slots they took stay in the allocation log, naming nobody, marked withdrawn.
    session.execute(
        update(AllocationLog)
        .where(AllocationLog.participant_id == participant.id)
        .values(participant_id=None, withdrawn_at=now)
    )
    session.delete(participant)
    session.commit()
    return Response(status_code=204)

"""The live view while a study runs: students per step and condition, and who is stuck."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evaluation.flow import TERMINAL_STEPS, step_of
from evaluation.models import Answer, Participant, PhaseAttempt, QuestionnaireResponse


class StuckStudent(BaseModel):
    participant: str
    step: str
    condition: str | None
    idle_seconds: int


class Progress(BaseModel):
    """No scores here: outcomes stay hidden until the study is closed."""

    counts: dict[str, dict[str, int]]
    stuck: list[StuckStudent]


def last_activity(
    participant: Participant,
    attempts: dict[str, PhaseAttempt],
    last_answer: datetime | None,
    now: datetime,
) -> datetime:
    """The latest thing the student did, or the end of their learning time."""
    moments = [participant.joined_at, participant.consented_at, participant.assigned_at]
    for attempt in attempts.values():
        moments.append(attempt.started_at)
        if attempt.phase == "learning":
            moments.append(min(now, attempt.deadline_at))
        moments.append(attempt.finished_at)
    moments.append(last_answer)
    return max(moment for moment in moments if moment is not None)


def progress(
    session: Session, study_id: int, now: datetime, grace: timedelta, stuck_after: timedelta
) -> Progress:
    """Four queries whatever the class size (participants, attempts, questionnaires, the
    latest answer per student): the dashboard polls it every few seconds."""
    participants = list(
        session.scalars(
            select(Participant).where(Participant.study_id == study_id).order_by(Participant.code)
        )
    )
    in_study = select(Participant.id).where(Participant.study_id == study_id)
    attempts: dict[int, dict[str, PhaseAttempt]] = {}
    for attempt in session.scalars(
        select(PhaseAttempt).where(PhaseAttempt.participant_id.in_(in_study))
    ):
        attempts.setdefault(attempt.participant_id, {})[attempt.phase] = attempt
    done = set(
        session.scalars(
            select(QuestionnaireResponse.participant_id).where(
                QuestionnaireResponse.participant_id.in_(in_study)
            )
        )
    )
    last_answers: dict[int, datetime] = {
        participant_id: answered_at
        for participant_id, answered_at in session.execute(
            select(Answer.participant_id, func.max(Answer.answered_at))
            .where(Answer.participant_id.in_(in_study))
            .group_by(Answer.participant_id)
        ).tuples()
    }
    counts: dict[str, dict[str, int]] = {}
    stuck: list[StuckStudent] = []
    for participant in participants:
        mine = attempts.get(participant.id, {})
        step = step_of(participant, mine, participant.id in done, now, grace)
        group = counts.setdefault(participant.condition or "unassigned", {})
        group[step] = group.get(step, 0) + 1
        learning_running = step == "learning" and "learning" in mine
        if step in TERMINAL_STEPS or learning_running:
            continue
        idle = now - last_activity(participant, mine, last_answers.get(participant.id), now)
        if idle >= stuck_after:
            stuck.append(
                StuckStudent(
                    participant=participant.code,
                    step=step,
                    condition=participant.condition,
                    idle_seconds=int(idle.total_seconds()),
                )
            )
    return Progress(counts=counts, stuck=stuck)

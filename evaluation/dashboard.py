"""The live view while a study runs: students per step and condition, and who is stuck."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evaluation.flow import TERMINAL_STEPS, attempts_by_phase, current_step
from evaluation.models import Answer, Participant


class StuckStudent(BaseModel):
    participant: str
    step: str
    condition: str | None
    idle_seconds: int


class Progress(BaseModel):
    """No scores here: outcomes stay hidden until the study is closed."""

    counts: dict[str, dict[str, int]]
    stuck: list[StuckStudent]


def last_activity(session: Session, participant: Participant, now: datetime) -> datetime:
    """The latest thing the student did, or the end of their learning time."""
    moments = [participant.joined_at, participant.consented_at, participant.assigned_at]
    for attempt in attempts_by_phase(session, participant).values():
        moments.append(attempt.started_at)
        if attempt.phase == "learning":
            moments.append(min(now, attempt.deadline_at))
        moments.append(attempt.finished_at)
    moments.append(
        session.scalar(
            select(func.max(Answer.answered_at)).where(Answer.participant_id == participant.id)
        )
    )
    return max(moment for moment in moments if moment is not None)


def progress(
    session: Session, study_id: int, now: datetime, grace: timedelta, stuck_after: timedelta
) -> Progress:
    counts: dict[str, dict[str, int]] = {}
    stuck: list[StuckStudent] = []
    for participant in session.scalars(
        select(Participant).where(Participant.study_id == study_id).order_by(Participant.code)
    ):
        step = current_step(session, participant, now, grace)
        group = counts.setdefault(participant.condition or "unassigned", {})
        group[step] = group.get(step, 0) + 1
        learning_running = step == "learning" and "learning" in attempts_by_phase(
            session, participant
        )
        if step in TERMINAL_STEPS or learning_running:
            continue
        idle = now - last_activity(session, participant, now)
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

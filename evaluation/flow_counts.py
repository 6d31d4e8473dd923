"""How many students reached each stage of the study: the CONSORT-style flow diagram's numbers.

A withdrawal deletes the student and their data, but their allocation slots stay in the
allocation log with ``withdrawn_at`` set (evaluation/assignment.py), so withdrawals can be
counted and placed: after the form order was drawn (consented, before the pre-test) and,
when a condition slot was withdrawn too, after assignment, in that condition's arm.
Withdrawals before consent leave no trace and are not counted; the diagram says so.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from evaluation.models import CONDITIONS, AllocationLog, Participant, PhaseAttempt


class ArmFlow(BaseModel):
    """One condition's arm, from assignment to analysis."""

    condition: str
    assigned: int
    post_tested: int
    analysed: int
    withdrawn: int  # after assignment (data deleted)


class FlowCounts(BaseModel):
    joined: int  # still in the study (withdrawn students are deleted)
    consented: int  # chose to take part
    declined: int  # declined, or took part without their data being used
    pre_tested: int
    withdrawn_before_assignment: int  # consented and drew a form order, then withdrew
    assigned: int
    arms: list[ArmFlow]


def _pairs(rows: Iterable[tuple[str | None, int]]) -> dict[str, int]:
    """``{key: count}`` from (key, count) rows (a Result has ``keys()``: dict() misreads it)."""
    return {str(key): int(count) for key, count in rows}


def _count(session: Session, *conditions: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(Participant).where(*conditions)
    return int(session.scalar(query) or 0)


def flow_counts(session: Session, study_id: int, analysed: dict[str, int]) -> FlowCounts:
    """The stages' numbers; ``analysed`` per condition comes from the analysis itself."""
    in_study = Participant.study_id == study_id
    finished: dict[tuple[str, str | None], int] = {
        (phase, condition): int(count)
        for phase, condition, count in session.execute(
            select(PhaseAttempt.phase, Participant.condition, func.count())
            .join(Participant, Participant.id == PhaseAttempt.participant_id)
            .where(in_study, PhaseAttempt.finished_at.is_not(None))
            .group_by(PhaseAttempt.phase, Participant.condition)
        ).tuples()
    }
    assigned = _pairs(
        session.execute(
            select(Participant.condition, func.count())
            .where(in_study, Participant.condition.is_not(None))
            .group_by(Participant.condition)
        ).tuples()
    )
    withdrawn = _pairs(
        session.execute(
            select(AllocationLog.kind, func.count())
            .where(AllocationLog.study_id == study_id, AllocationLog.withdrawn_at.is_not(None))
            .group_by(AllocationLog.kind)
        ).tuples()
    )
    withdrawn_arms = _pairs(
        session.execute(
            select(AllocationLog.arm, func.count())
            .where(
                AllocationLog.study_id == study_id,
                AllocationLog.kind == "condition",
                AllocationLog.withdrawn_at.is_not(None),
            )
            .group_by(AllocationLog.arm)
        ).tuples()
    )
    return FlowCounts(
        joined=_count(session, in_study),
        consented=_count(session, in_study, Participant.consent == "participate"),
        declined=_count(session, in_study, Participant.consent.in_(("decline", "no_data"))),
        pre_tested=sum(n for (phase, _), n in finished.items() if phase == "pre"),
        withdrawn_before_assignment=max(
            0, withdrawn.get("form_order", 0) - withdrawn.get("condition", 0)
        ),
        assigned=sum(assigned.values()),
        arms=[
            ArmFlow(
                condition=condition,
                assigned=assigned.get(condition, 0),
                post_tested=finished.get(("post", condition), 0),
                analysed=analysed.get(condition, 0),
                withdrawn=withdrawn_arms.get(condition, 0),
            )
            for condition in CONDITIONS
        ],
    )

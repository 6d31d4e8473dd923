"""The end-of-study questionnaire per condition: UMUX-Lite and mental effort.

UMUX-Lite (Lewis, Utesch & Maher, 2013) is scored 0-100 from its two 7-point items as
``((capabilities - 1) + (ease - 1)) * 100 / 12``; mental effort is Paas's one-item 9-point
rating. Descriptives only: the questionnaire is a secondary measure, answered after the
post-test by those who got that far, and the results say so.
"""

from __future__ import annotations

from statistics import mean, stdev

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.models import CONDITIONS, Participant, QuestionnaireResponse


class QuestionnaireSummary(BaseModel):
    """One condition's questionnaire answers (mean and SD; None when nobody answered)."""

    condition: str
    n: int
    umux_lite_mean: float | None
    umux_lite_sd: float | None
    mental_effort_mean: float | None
    mental_effort_sd: float | None


def umux_lite(capabilities: int, ease: int) -> float:
    """The 0-100 UMUX-Lite score of one answer (two 1-7 items)."""
    return ((capabilities - 1) + (ease - 1)) * 100 / 12


def _mean_sd(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return mean(values), (stdev(values) if len(values) > 1 else None)


def questionnaire_summaries(session: Session, study_id: int) -> list[QuestionnaireSummary]:
    """Per condition, over the assigned participants who answered the questionnaire."""
    answers: dict[str, list[QuestionnaireResponse]] = {condition: [] for condition in CONDITIONS}
    query = (
        select(QuestionnaireResponse, Participant.condition)
        .join(Participant, Participant.id == QuestionnaireResponse.participant_id)
        .where(Participant.study_id == study_id, Participant.condition.is_not(None))
    )
    for response, condition in session.execute(query):
        if condition in answers:
            answers[condition].append(response)
    summaries = []
    for condition in CONDITIONS:
        rows = answers[condition]
        umux = _mean_sd([umux_lite(r.umux_capabilities, r.umux_ease) for r in rows])
        effort = _mean_sd([float(r.mental_effort) for r in rows])
        summaries.append(
            QuestionnaireSummary(
                condition=condition,
                n=len(rows),
                umux_lite_mean=umux[0],
                umux_lite_sd=umux[1],
                mental_effort_mean=effort[0],
                mental_effort_sd=effort[1],
            )
        )
    return summaries

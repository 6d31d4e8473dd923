"""Item statistics: difficulty, discrimination (corrected item-total) and KR-20 per form."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.items.snapshot import study_items_by_form
from evaluation.models import Answer, Item, Participant, PhaseAttempt


class ItemStatistic(BaseModel):
    item_key: str
    form: str
    phase: str
    concept: str
    n: int
    difficulty: float
    discrimination: float | None


class FormReliability(BaseModel):
    form: str
    phase: str
    n: int
    kr20: float | None


def kr20(matrix: list[list[int]]) -> float | None:
    """Kuder-Richardson 20 of a 0/1 matrix (rows: people), population variances."""
    if len(matrix) < 2 or len(matrix[0]) < 2:
        return None
    k = len(matrix[0])
    totals = [sum(row) for row in matrix]
    total_variance = float(np.var(totals))
    if total_variance == 0:
        return None
    proportions = [sum(row[j] for row in matrix) / len(matrix) for j in range(k)]
    item_variance = sum(p * (1 - p) for p in proportions)
    return k / (k - 1) * (1 - item_variance / total_variance)


def discrimination(matrix: list[list[int]], column: int) -> float | None:
    """Corrected item-total correlation: the item against the rest of the form."""
    item = [row[column] for row in matrix]
    rest = [sum(row) - row[column] for row in matrix]
    if len(matrix) < 3 or len(set(item)) < 2 or len(set(rest)) < 2:
        return None
    return float(stats.pearsonr(item, rest).statistic)


def response_matrices(
    session: Session, study_id: int
) -> dict[tuple[str, str], tuple[list[Item], list[list[int]]]]:
    """Per (form, phase): the form's items and one 0/1 row per participant who took it."""
    items_by_form = study_items_by_form(session, study_id)  # its snapshot, not the bank
    correct: dict[tuple[int, str], dict[int, int]] = {}
    for answer in session.scalars(
        select(Answer)
        .join(Participant, Participant.id == Answer.participant_id)
        .where(Participant.study_id == study_id)
    ):
        correct.setdefault((answer.participant_id, answer.phase), {})[answer.item_id] = int(
            answer.is_correct
        )
    matrices: dict[tuple[str, str], tuple[list[Item], list[list[int]]]] = {}
    attempts = session.scalars(
        select(PhaseAttempt)
        .join(Participant, Participant.id == PhaseAttempt.participant_id)
        .where(Participant.study_id == study_id, PhaseAttempt.form.is_not(None))
    )
    for attempt in attempts:
        assert attempt.form is not None
        items = items_by_form[attempt.form]
        answered = correct.get((attempt.participant_id, attempt.phase), {})
        entry = matrices.setdefault((attempt.form, attempt.phase), (items, []))
        entry[1].append([answered.get(item.id, 0) for item in items])
    return matrices


def item_analysis(
    session: Session, study_id: int
) -> tuple[list[ItemStatistic], list[FormReliability]]:
    statistics: list[ItemStatistic] = []
    reliability: list[FormReliability] = []
    for (form, phase), (items, matrix) in sorted(response_matrices(session, study_id).items()):
        reliability.append(
            FormReliability(form=form, phase=phase, n=len(matrix), kr20=kr20(matrix))
        )
        for column, item in enumerate(items):
            statistics.append(
                ItemStatistic(
                    item_key=item.key,
                    form=form,
                    phase=phase,
                    concept=item.concept,
                    n=len(matrix),
                    difficulty=sum(row[column] for row in matrix) / len(matrix),
                    discrimination=discrimination(matrix, column),
                )
            )
    return statistics, reliability

"""Server-side scoring and the pre-test score bands used as a stratum."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from evaluation.items.snapshot import study_form_sizes, study_items
from evaluation.models import Answer, Participant
from evaluation.schemas import ItemReview, Outcome

SCORE_BANDS = ("low", "mid", "high")


def score_band(correct: int, total: int) -> str:
    """Thirds of the maximum score: below 1/3 low, below 2/3 mid, else high."""
    if total <= 0:
        raise ValueError("a form needs at least one item")
    if 3 * correct < total:
        return "low"
    if 3 * correct < 2 * total:
        return "mid"
    return "high"


def stratum_key(band: str, prior_ml: bool) -> str:
    return f"{band}|ml_{'yes' if prior_ml else 'no'}"


def form_size(session: Session, study_id: int, form: str) -> int:
    """Items on the study's ``form`` (its snapshot, not the bank as it is now)."""
    return study_form_sizes(session, study_id)[form]


def correct_counts(session: Session, study_id: int) -> dict[tuple[int, str], int]:
    """(participant id, phase) -> items answered correctly, for a whole study in one query
    (the analyses of complete cases and of intention to treat both start from it)."""
    return {
        (participant_id, phase): count
        for participant_id, phase, count in session.execute(
            select(Answer.participant_id, Answer.phase, func.count())
            .join(Participant, Participant.id == Answer.participant_id)
            .where(Participant.study_id == study_id, Answer.is_correct.is_(True))
            .group_by(Answer.participant_id, Answer.phase)
        )
    }


def correct_count_query(
    participant_id: int | ColumnElement[int], phase: str | ColumnElement[str]
) -> Select[int]:
    """The count of a participant's correct answers in ``phase`` (unanswered items count as
    wrong), as a query to put inside another (:func:`evaluation.flow.attempts_and_score`,
    with bound parameters)."""
    return (
        select(func.count())
        .select_from(Answer)
        .where(
            Answer.participant_id == participant_id,
            Answer.phase == phase,
            Answer.is_correct.is_(True),
        )
    )


def build_outcome(
    session: Session, study_id: int, participant_id: int, forms: dict[str, str]
) -> Outcome:
    """The student's own scores with every item, the correct answer and its explanation."""
    chosen = {
        (answer.phase, answer.item_id): answer.choice_index
        for answer in session.scalars(select(Answer).where(Answer.participant_id == participant_id))
    }
    reviews: list[ItemReview] = []
    totals: dict[str, int] = {"pre": 0, "post": 0}
    scores: dict[str, int] = {"pre": 0, "post": 0}
    for phase in ("pre", "post"):
        for item in study_items(session, study_id, forms[phase]):
            choice = chosen.get((phase, item.id))
            correct = choice == item.correct_index
            totals[phase] += 1
            scores[phase] += int(correct)
            reviews.append(
                ItemReview(
                    id=item.id,
                    phase="pre" if phase == "pre" else "post",
                    form="A" if item.form == "A" else "B",
                    position=item.position,
                    concept=item.concept,
                    stem=item.stem,
                    options=item.options,
                    correct_index=item.correct_index,
                    explanation=item.explanation,
                    your_choice=choice,
                    correct=correct,
                )
            )
    return Outcome(
        pre_score=scores["pre"],
        pre_total=totals["pre"],
        post_score=scores["post"],
        post_total=totals["post"],
        items=reviews,
    )

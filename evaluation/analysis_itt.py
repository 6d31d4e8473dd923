"""The intention-to-treat (ITT) analysis beside the complete-case one.

The primary analysis uses complete cases: assigned students who started the post-test.
Students who left after randomisation may differ by condition (say, the conventional
material loses more of the weaker students), which complete cases hide. ITT analyses every
randomised student who did not withdraw (a withdrawal deletes the student's data) in the
condition they were assigned, and imputes a missing post-test by a stated, conservative
rule: baseline carried forward, the post-test score equals the pre-test score (zero gain),
so a student who left counts as having learnt nothing in either condition. The model is
the primary one (evaluation/analysis_ancova.py) on that population.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.analysis_ancova import AncovaDetail, ancova_detail
from evaluation.analysis_scores import Scores, ancova_undefined
from evaluation.items.snapshot import study_form_sizes
from evaluation.models import CONDITIONS, Participant, PhaseAttempt
from evaluation.planned import planned
from evaluation.scoring import correct_counts

POPULATION = (
    "intention to treat: every randomised (assigned) student who did not withdraw, in the "
    "condition they were assigned"
)
RULE = (
    "a missing post-test (the student never started it) is imputed by baseline carried "
    "forward: post-test score = pre-test score, a gain of zero"
)


class IttArm(BaseModel):
    condition: str
    n: int
    imputed: int


class IntentionToTreat(BaseModel):
    """The primary model on the ITT population, and whether it differs from complete cases."""

    population: str = POPULATION
    rule: str = RULE
    n: int
    imputed: int
    arms: list[IttArm]
    identical_to_complete_cases: bool
    ancova: AncovaDetail | None
    ancova_undefined: str | None
    statement: str
    # False: the study's pre-registration predates this analysis (exploratory for it);
    # None: the study has no pre-registration.
    planned: bool | None = None


def itt_scores(session: Session, study_id: int) -> tuple[list[Scores], set[str]]:
    """Every assigned student's scores (post imputed when missing) and who was imputed."""
    form_sizes = study_form_sizes(session, study_id)
    correct = correct_counts(session, study_id)
    started_post = set(
        session.scalars(
            select(PhaseAttempt.participant_id)
            .join(Participant, Participant.id == PhaseAttempt.participant_id)
            .where(Participant.study_id == study_id, PhaseAttempt.phase == "post")
        )
    )
    assigned = select(Participant).where(
        Participant.study_id == study_id,
        Participant.condition.is_not(None),
        Participant.form_order.is_not(None),
    )
    rows, imputed = [], set()
    for participant in session.scalars(assigned.order_by(Participant.code)):
        assert participant.form_order is not None and participant.condition is not None
        pre_items = form_sizes.get(participant.form_order[0], 0)
        post_items = form_sizes.get(participant.form_order[1], 0)
        if not pre_items or not post_items:
            continue  # a form without items: no score, as for complete cases
        pre = correct.get((participant.id, "pre"), 0) / pre_items
        if participant.id in started_post:
            post = correct.get((participant.id, "post"), 0) / post_items
        else:
            post = pre
            imputed.add(participant.code)
        rows.append(
            Scores(
                condition=participant.condition,
                pre=pre,
                post=post,
                participant=participant.code,
                form_order=participant.form_order,
            )
        )
    return rows, imputed


def _statement(identical: bool, n: int, imputed: int, detail: AncovaDetail | None) -> str:
    if identical:
        return (
            f"Intention to treat and complete cases are the same {n} students (nobody "
            "randomised left before the post-test), so the ITT analysis is the primary one."
        )
    head = f"Intention to treat: {n} randomised students, {imputed} without a post-test "
    head += "(post-test = pre-test, zero gain)"
    if detail is None:
        return head + "; its ANCOVA is undefined."
    return (
        f"{head}: adjusted difference {detail.adjusted_difference:+.3f} "
        f"(95 % CI {detail.ci_low:+.3f} to {detail.ci_high:+.3f}, p = {detail.p:.3g})."
    )


def intention_to_treat(session: Session, study_id: int) -> IntentionToTreat:
    rows, imputed = itt_scores(session, study_id)
    detail = ancova_detail(rows)
    return IntentionToTreat(
        n=len(rows),
        imputed=len(imputed),
        arms=[
            IttArm(
                condition=condition,
                n=sum(1 for row in rows if row.condition == condition),
                imputed=sum(
                    1 for row in rows if row.condition == condition and row.participant in imputed
                ),
            )
            for condition in CONDITIONS
        ],
        identical_to_complete_cases=not imputed,
        ancova=detail,
        ancova_undefined=ancova_undefined(rows),
        statement=_statement(not imputed, len(rows), len(imputed), detail),
        planned=planned(session, study_id, "intention_to_treat"),
    )


def disagreement(complete: AncovaDetail | None, itt: IntentionToTreat | None) -> str | None:
    """One sentence when ITT and complete cases disagree in sign or significance."""
    if itt is None or itt.identical_to_complete_cases or complete is None or itt.ancova is None:
        return None
    other = itt.ancova
    sign = (complete.adjusted_difference > 0) != (other.adjusted_difference > 0)
    significance = (complete.p < 0.05) != (other.p < 0.05)
    if not sign and not significance:
        return None
    what = "direction" if sign else "significance (p < .05)"
    return (
        f"The intention-to-treat analysis (every randomised student, a missing post-test "
        f"counted as no gain) disagrees with the complete-case one in {what}: adjusted "
        f"difference {other.adjusted_difference:+.3f} (p = {other.p:.3g}) against "
        f"{complete.adjusted_difference:+.3f} (p = {complete.p:.3g}), so students who left "
        "before the post-test may change the conclusion."
    )

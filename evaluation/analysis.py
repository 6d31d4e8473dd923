"""The study's outcome analysis: descriptives, gains, tests on gains, item statistics."""

from __future__ import annotations

import math
from statistics import mean, stdev

import numpy as np
from pydantic import BaseModel
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.analysis_ancova import AncovaDetail, ancova_detail, rank_test_p
from evaluation.analysis_clustered import SectionSensitivity, study_section_sensitivity
from evaluation.analysis_items import FormReliability, ItemStatistic, item_analysis
from evaluation.analysis_itt import IntentionToTreat, intention_to_treat
from evaluation.analysis_questionnaire import QuestionnaireSummary, questionnaire_summaries
from evaluation.analysis_scores import Scores, ancova_undefined
from evaluation.flow_counts import FlowCounts, flow_counts
from evaluation.items.snapshot import study_form_sizes
from evaluation.material_citation import MaterialCitation, material_citation
from evaluation.models import CONDITIONS, Answer, Item, Participant, PhaseAttempt
from evaluation.plain_summary import plain_summary
from evaluation.populations import POPULATIONS
from evaluation.preregistration import PreregistrationCitation, citation
from evaluation.scoring import correct_counts


class ConditionSummary(BaseModel):
    condition: str
    n: int
    pre_mean: float | None
    pre_sd: float | None
    post_mean: float | None
    post_sd: float | None
    gain_mean: float | None
    gain_sd: float | None
    normalised_gain: float | None


class GainTest(BaseModel):
    """Welch's t-test of gains, cnn101 minus conventional, and Hedges' g with a 95 % CI."""

    t: float
    df: float
    p: float
    hedges_g: float
    g_ci_low: float
    g_ci_high: float


class Ancova(BaseModel):
    """Post-test on condition with the pre-test as covariate (the primary analysis).

    ``adjusted_difference`` is cnn101 minus conventional at equal pre-test scores.
    """

    n: int
    adjusted_difference: float
    standard_error: float
    t: float
    df: int
    p: float
    f: float
    partial_eta_squared: float
    pre_slope: float


class RankTest(BaseModel):
    """Mann-Whitney U on gains (two-sided), a check that does not assume normality.

    ``method`` is "exact" for small groups without ties, else "asymptotic"; results frozen
    before it was recorded have None (they used the asymptotic p).
    """

    u: float
    p: float
    method: str | None = None


class ConceptRow(BaseModel):
    concept: str
    condition: str
    phase: str
    answered: int
    correct: int
    proportion_correct: float


class Results(BaseModel):
    scores_are: str = "proportion of the form's items answered correctly (0-1)"
    conditions: list[ConditionSummary]
    ancova: Ancova | None
    # Why ``ancova`` is None, in words for the instructor (None when it is computed).
    ancova_undefined: str | None = None
    # The ANCOVA with form order, its CI, standardised effect, slopes and HC3 checks;
    # None in results frozen before it existed, or when the ANCOVA is undefined.
    ancova_detail: AncovaDetail | None = None
    gain_test: GainTest | None
    gain_rank_test: RankTest | None
    concepts: list[ConceptRow]
    items: list[ItemStatistic]
    reliability: list[FormReliability]
    # The results in plain sentences (evaluation/plain_summary.py); empty in results frozen
    # before it existed.
    plain_summary: list[str] = []
    # UMUX-Lite and mental effort per condition; empty in results frozen before them.
    questionnaire: list[QuestionnaireSummary] = []
    # The flow diagram's numbers (evaluation/flow_counts.py); None in older frozen results.
    flow: FlowCounts | None = None
    # The pre-registration these results follow (evaluation/preregistration.py); None for
    # studies opened before migration 0010, or in results frozen before it existed.
    preregistration: PreregistrationCitation | None = None
    # The conventional arm's material (evaluation/material_citation.py); None in results
    # frozen before it was recorded.
    conventional_material: MaterialCitation | None = None
    # Each table's population (POPULATIONS); None in results frozen before it existed.
    populations: dict[str, str] | None = None
    # The intention-to-treat analysis (evaluation/analysis_itt.py); None in older results.
    itt: IntentionToTreat | None = None
    # Section fixed effects and errors clustered by section, when the analysed students come
    # from 2+ sections (evaluation/analysis_clustered.py); None otherwise.
    section_sensitivity: SectionSensitivity | None = None


def _sd(values: list[float]) -> float | None:
    return stdev(values) if len(values) > 1 else None


def summarise(condition: str, rows: list[Scores]) -> ConditionSummary:
    pre = [row.pre for row in rows]
    post = [row.post for row in rows]
    gains = [row.post - row.pre for row in rows]
    pre_mean = mean(pre) if pre else None
    post_mean = mean(post) if post else None
    normalised = None
    if pre_mean is not None and post_mean is not None and pre_mean < 1:
        # Hake's class-average normalised gain: (post - pre) / (1 - pre) on the means.
        normalised = (post_mean - pre_mean) / (1 - pre_mean)
    return ConditionSummary(
        condition=condition,
        n=len(rows),
        pre_mean=pre_mean,
        pre_sd=_sd(pre),
        post_mean=post_mean,
        post_sd=_sd(post),
        gain_mean=mean(gains) if gains else None,
        gain_sd=_sd(gains),
        normalised_gain=normalised,
    )


def hedges_g(first: list[float], second: list[float]) -> tuple[float, float, float]:
    """Hedges' g (pooled SD, small-sample corrected) and its approximate 95 % CI.

    The CI is Hedges and Olkin's: g ± t(0.975, n1 + n2 - 2) · SE, as pingouin and R's
    ``effsize::cohen.d(noncentral = FALSE)`` compute it.
    """
    n1, n2 = len(first), len(second)
    pooled = math.sqrt(
        ((n1 - 1) * stdev(first) ** 2 + (n2 - 1) * stdev(second) ** 2) / (n1 + n2 - 2)
    )
    d = (mean(first) - mean(second)) / pooled
    correction = 1 - 3 / (4 * (n1 + n2) - 9)
    g = d * correction
    se = math.sqrt((n1 + n2) / (n1 * n2) + g**2 / (2 * (n1 + n2)))
    critical = float(stats.t.ppf(0.975, n1 + n2 - 2))
    return g, g - critical * se, g + critical * se


def gain_test(rows: list[Scores]) -> GainTest | None:
    gains = {
        condition: [row.post - row.pre for row in rows if row.condition == condition]
        for condition in CONDITIONS
    }
    first, second = gains["cnn101"], gains["conventional"]
    if len(first) < 2 or len(second) < 2:
        return None
    if stdev(first) < 1e-12 and stdev(second) < 1e-12:
        return None  # no variance at all: the test is undefined
    result = stats.ttest_ind(first, second, equal_var=False)
    g, low, high = hedges_g(first, second)
    return GainTest(
        t=float(result.statistic),
        df=float(result.df),
        p=float(result.pvalue),
        hedges_g=g,
        g_ci_low=low,
        g_ci_high=high,
    )


def ancova(rows: list[Scores]) -> Ancova | None:
    """Ordinary least squares of post on [1, pre, cnn101]; the condition's t and F. None
    when :func:`ancova_undefined` gives a reason (never a number computed from 0/0)."""
    if ancova_undefined(rows) is not None:
        return None
    n = len(rows)
    design = np.array([[1.0, row.pre, float(row.condition == "cnn101")] for row in rows])
    post = np.array([row.post for row in rows])
    coefficients, *_ = np.linalg.lstsq(design, post, rcond=None)
    residuals = post - design @ coefficients
    df = n - 3
    rss = float(residuals @ residuals)
    covariance = rss / df * np.linalg.inv(design.T @ design)
    se = float(np.sqrt(covariance[2, 2]))
    t = float(coefficients[2]) / se
    reduced = design[:, :2]
    reduced_coefficients, *_ = np.linalg.lstsq(reduced, post, rcond=None)
    reduced_residuals = post - reduced @ reduced_coefficients
    ss_effect = float(reduced_residuals @ reduced_residuals) - rss
    return Ancova(
        n=n,
        adjusted_difference=float(coefficients[2]),
        standard_error=se,
        t=t,
        df=df,
        p=float(2 * stats.t.sf(abs(t), df)),
        f=t * t,
        partial_eta_squared=ss_effect / (ss_effect + rss),
        pre_slope=float(coefficients[1]),
    )


def gain_rank_test(rows: list[Scores]) -> RankTest | None:
    first = [row.post - row.pre for row in rows if row.condition == "cnn101"]
    second = [row.post - row.pre for row in rows if row.condition == "conventional"]
    if not first or not second:
        return None
    u, p, method = rank_test_p(first, second)
    return RankTest(u=u, p=p, method=method)


def completed_scores(session: Session, study_id: int) -> list[Scores]:
    """Participants who were assigned and whose post-test is over, with their scores.

    Three queries whatever the class size (a class of 200 must not cost 400 round trips).
    """
    form_sizes = study_form_sizes(session, study_id)  # its snapshot, not the bank
    correct = correct_counts(session, study_id)
    finished_post = (
        select(Participant)
        .join(
            PhaseAttempt,
            (PhaseAttempt.participant_id == Participant.id) & (PhaseAttempt.phase == "post"),
        )
        .where(
            Participant.study_id == study_id,
            Participant.condition.is_not(None),
            Participant.form_order.is_not(None),
        )
        .order_by(Participant.code)
    )
    rows = []
    for participant in session.scalars(finished_post):
        assert participant.form_order is not None and participant.condition is not None
        pre_items = form_sizes.get(participant.form_order[0], 0)
        post_items = form_sizes.get(participant.form_order[1], 0)
        if not pre_items or not post_items:
            continue  # a form without items: no score to speak of
        rows.append(
            Scores(
                condition=participant.condition,
                pre=correct.get((participant.id, "pre"), 0) / pre_items,
                post=correct.get((participant.id, "post"), 0) / post_items,
                participant=participant.code,
                form_order=participant.form_order,
            )
        )
    return rows


def concept_rows(session: Session, study_id: int) -> list[ConceptRow]:
    counts: dict[tuple[str, str, str], list[int]] = {}
    query = (
        select(Item.concept, Participant.condition, Answer.phase, Answer.is_correct)
        .join(Answer, Answer.item_id == Item.id)
        .join(Participant, Participant.id == Answer.participant_id)
        .where(Participant.study_id == study_id, Participant.condition.is_not(None))
    )
    for concept, condition, phase, is_correct in session.execute(query):
        tally = counts.setdefault((concept, condition or "", phase), [0, 0])
        tally[0] += 1
        tally[1] += int(is_correct)
    return [
        ConceptRow(
            concept=concept,
            condition=condition,
            phase=phase,
            answered=answered,
            correct=correct,
            proportion_correct=correct / answered,
        )
        for (concept, condition, phase), (answered, correct) in sorted(counts.items())
    ]


def analyse(session: Session, study_id: int) -> Results:
    rows = completed_scores(session, study_id)
    items, reliability = item_analysis(session, study_id)
    conditions = [
        summarise(condition, [row for row in rows if row.condition == condition])
        for condition in CONDITIONS
    ]
    results = Results(
        conditions=conditions,
        ancova=ancova(rows),
        ancova_undefined=ancova_undefined(rows),
        ancova_detail=ancova_detail(rows),
        gain_test=gain_test(rows),
        gain_rank_test=gain_rank_test(rows),
        concepts=concept_rows(session, study_id),
        items=items,
        reliability=reliability,
        questionnaire=questionnaire_summaries(session, study_id),
        flow=flow_counts(session, study_id, {row.condition: row.n for row in conditions}),
        preregistration=citation(session, study_id),
        conventional_material=material_citation(session, study_id),
        populations=POPULATIONS,
        itt=intention_to_treat(session, study_id),
        section_sensitivity=study_section_sensitivity(session, study_id, rows, ancova_detail(rows)),
    )
    return results.model_copy(update={"plain_summary": plain_summary(results)})


class StudentScore(BaseModel):
    """One completed participant: pre- and post-test proportions and their difference."""

    participant: str
    condition: str
    pre: float
    post: float
    gain: float


class GainHistogram(BaseModel):
    """Counts of gains per condition in the bins ``[edges[i], edges[i + 1])`` (last closed)."""

    edges: list[float]
    counts: dict[str, list[int]]


class PlotData(BaseModel):
    """What the dashboard's plots draw: pre → post per student, gains, item statistics."""

    scores_are: str = "proportion of the form's items answered correctly (0-1)"
    students: list[StudentScore]
    gain_histogram: GainHistogram
    conditions: list[ConditionSummary]
    items: list[ItemStatistic]
    reliability: list[FormReliability]


# Gains lie in [-1, 1]; ten bins of 0.2 read well on a slide and, with 13-item forms
# (gains k/13), no gain except 0 and ±1 falls on an edge.
GAIN_EDGES = [round(-1 + 0.2 * i, 1) for i in range(11)]


def gain_histogram(rows: list[Scores]) -> GainHistogram:
    counts = {}
    for condition in CONDITIONS:
        gains = [row.post - row.pre for row in rows if row.condition == condition]
        histogram, _ = np.histogram(gains, bins=GAIN_EDGES)
        counts[condition] = [int(count) for count in histogram]
    return GainHistogram(edges=GAIN_EDGES, counts=counts)


def plot_data(session: Session, study_id: int) -> PlotData:
    rows = completed_scores(session, study_id)
    items, reliability = item_analysis(session, study_id)
    return PlotData(
        students=[
            StudentScore(
                participant=row.participant,
                condition=row.condition,
                pre=row.pre,
                post=row.post,
                gain=row.post - row.pre,
            )
            for row in sorted(rows, key=lambda row: (row.condition, row.participant))
        ],
        gain_histogram=gain_histogram(rows),
        conditions=[
            summarise(condition, [row for row in rows if row.condition == condition])
            for condition in CONDITIONS
        ],
        items=items,
        reliability=reliability,
    )

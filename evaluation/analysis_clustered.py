"""The primary ANCOVA's sensitivity to course sections: section fixed effects, and
standard errors clustered by section.

Students of one section share a teacher, a time and each other, so their outcomes are not
independent; when the analysed students come from two or more sections the results add
(a) the primary model with section fixed effects and (b) the primary model's condition
effect with cluster-robust (CR1, as statsmodels' ``cov_type="cluster"``) standard errors by
section, tested with t on G - 1 degrees of freedom. With few clusters (fewer than
:data:`FEW_CLUSTERS`) cluster-robust errors are unreliable and the results say so. Computed
with numpy and scipy; checked against statsmodels in tests/evaluation/test_sections_analysis.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.analysis_ancova import AncovaDetail
from evaluation.analysis_scores import EXACT_FIT, Scores, ancova_undefined
from evaluation.models import Participant, Study
from evaluation.planned import planned

# Below this many clusters, cluster-robust standard errors are known to be too small.
FEW_CLUSTERS = 10
POPULATION = "complete cases (assigned students who started the post-test), as the primary analysis"


class SectionCount(BaseModel):
    section: str
    n: int


class SectionEffect(BaseModel):
    """The condition's adjusted difference (cnn101 minus conventional) under one model."""

    model: str
    adjusted_difference: float
    standard_error: float
    df: int
    t: float
    p: float
    ci_low: float
    ci_high: float


class SectionSensitivity(BaseModel):
    """Both checks, or why each is undefined; ``caveat`` when clusters are few."""

    population: str = POPULATION
    n: int
    clusters: int
    sections: list[SectionCount]
    fixed_effects: SectionEffect | None
    fixed_effects_undefined: str | None
    clustered: SectionEffect | None
    clustered_undefined: str | None
    caveat: str | None
    # False: the study's pre-registration predates these checks (exploratory for it).
    planned: bool | None = None


def _primary_design(rows: list[Scores], with_order: bool) -> np.ndarray:
    lines = []
    for row in rows:
        line = [1.0, row.pre, float(row.condition == "cnn101")]
        if with_order:
            line.append(float(row.form_order == "BA"))
        lines.append(line)
    return np.array(lines)


def _effect(model: str, difference: float, se: float, df: int) -> SectionEffect:
    t = difference / se
    half = float(stats.t.ppf(0.975, df)) * se
    return SectionEffect(
        model=model,
        adjusted_difference=difference,
        standard_error=se,
        df=df,
        t=t,
        p=float(2 * stats.t.sf(abs(t), df)),
        ci_low=difference - half,
        ci_high=difference + half,
    )


def fixed_effects(
    rows: list[Scores], groups: list[int], with_order: bool
) -> tuple[SectionEffect | None, str | None]:
    """post ~ condition + pre (+ form order) + section, classical OLS errors."""
    labels = sorted(set(groups))
    dummies = np.array([[float(g == label) for label in labels[1:]] for g in groups])
    design = np.hstack([_primary_design(rows, with_order), dummies])
    n, k = design.shape
    if np.linalg.matrix_rank(design) < k:
        return None, (
            "the sections and the conditions are confounded (a condition occurs in one "
            "section only, or the pre-test does not vary within sections), so the "
            "condition cannot be separated from the section"
        )
    if n - k < 1:
        return None, f"{n} students leave no residual degree of freedom for {k} coefficients"
    post = np.array([row.post for row in rows])
    coefficients, *_ = np.linalg.lstsq(design, post, rcond=None)
    residuals = post - design @ coefficients
    rss = float(residuals @ residuals)
    if rss <= EXACT_FIT * max(float(((post - post.mean()) ** 2).sum()), 1.0):
        return None, "the model fits exactly: no residual variation, so no standard error"
    inverse = np.linalg.inv(design.T @ design)
    se = math.sqrt(rss / (n - k) * float(inverse[2, 2]))
    return _effect("primary model + section fixed effects", float(coefficients[2]), se, n - k), None


def clustered(
    rows: list[Scores], groups: list[int], with_order: bool
) -> tuple[SectionEffect | None, str | None]:
    """The primary model with CR1 cluster-robust errors by section; t on G - 1 df."""
    design = _primary_design(rows, with_order)
    n, k = design.shape
    post = np.array([row.post for row in rows])
    coefficients, *_ = np.linalg.lstsq(design, post, rcond=None)
    residuals = post - design @ coefficients
    inverse = np.linalg.inv(design.T @ design)
    labels = sorted(set(groups))
    g = len(labels)
    meat = np.zeros((k, k))
    for label in labels:
        members = np.array([group == label for group in groups])
        score = design[members].T @ residuals[members]
        meat += np.outer(score, score)
    correction = g / (g - 1) * (n - 1) / (n - k)
    covariance = correction * inverse @ meat @ inverse
    variance = float(covariance[2, 2])
    if not variance > 0:
        return None, "the clustered standard error is zero (no variation left between sections)"
    model = "primary model, standard errors clustered by section (CR1)"
    return _effect(model, float(coefficients[2]), math.sqrt(variance), g - 1), None


def caveat(clusters: int) -> str | None:
    if clusters >= FEW_CLUSTERS:
        return None
    return (
        f"Only {clusters} sections: cluster-robust standard errors are unreliable with fewer "
        f"than about {FEW_CLUSTERS} clusters (usually too small). The clustered p and CI "
        f"therefore use the t distribution with G - 1 = {clusters - 1} degrees of freedom, "
        "which is more cautious than the normal distribution, and the section fixed-effects "
        "model is the better check here; read the clustered result as indicative only."
    )


def section_sensitivity(
    rows: list[Scores],
    section_of: Mapping[str, int | None],
    names: list[str],
    primary: AncovaDetail | None,
) -> SectionSensitivity | None:
    """Both checks when the analysed students come from 2+ sections, else None."""
    groups = [section_of.get(row.participant) for row in rows]
    known = [(row, g) for row, g in zip(rows, groups, strict=True) if g is not None]
    if len({g for _, g in known}) < 2:
        return None
    rows = [row for row, _ in known]
    labels = [g for _, g in known]
    counts = [
        (names[g] if g < len(names) else f"section {g}", labels.count(g))
        for g in sorted(set(labels))
    ]
    clusters = len(set(labels))
    undefined = ancova_undefined(rows)
    fe = cl = None
    fe_why = cl_why = undefined
    if undefined is None and primary is None:
        fe_why = cl_why = "the primary ANCOVA is undefined"
    elif undefined is None and primary is not None:
        fe, fe_why = fixed_effects(rows, labels, primary.form_order_covariate)
        cl, cl_why = clustered(rows, labels, primary.form_order_covariate)
    return SectionSensitivity(
        n=len(rows),
        clusters=clusters,
        sections=[SectionCount(section=name, n=n) for name, n in counts],
        fixed_effects=fe,
        fixed_effects_undefined=fe_why,
        clustered=cl,
        clustered_undefined=cl_why,
        caveat=caveat(clusters),
    )


def study_section_sensitivity(
    session: Session, study_id: int, rows: list[Scores], primary: AncovaDetail | None
) -> SectionSensitivity | None:
    """:func:`section_sensitivity` of a study's analysed ``rows`` (None without sections)."""
    study = session.get_one(Study, study_id)
    if not study.sections:
        return None
    query = select(Participant.code, Participant.section).where(Participant.study_id == study_id)
    section_of = {code: section for code, section in session.execute(query)}
    checks = section_sensitivity(rows, section_of, list(study.sections), primary)
    if checks is None:
        return None
    return checks.model_copy(update={"planned": planned(session, study_id, "section_sensitivity")})

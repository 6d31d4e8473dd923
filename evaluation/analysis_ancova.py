"""ANCOVA with form order, the homogeneity-of-slopes check and an HC3 sensitivity check.

Kept apart from :mod:`evaluation.analysis` (the original, frozen-snapshot ANCOVA) so that
closed studies' stored results stay byte-identical; computed with numpy and scipy only, and
checked against statsmodels in tests/evaluation/test_analysis_ancova.py.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel
from scipy import stats

from evaluation.analysis_scores import Scores, ancova_undefined

# Exact Mann-Whitney p when neither group has more than this many people and there are no ties.
EXACT_RANK_MAX_N = 8


class AncovaDetail(BaseModel):
    """post ~ condition + pre (+ form order), its CI, a standardised effect and checks."""

    n: int
    form_order_covariate: bool
    adjusted_difference: float
    ci_low: float
    ci_high: float
    df: int
    p: float
    standardised_difference: float | None
    standardiser: str = "pooled SD of the post-test scores"
    slopes_f: float | None
    slopes_p: float | None
    slopes_note: str | None
    hc3_standard_error: float
    hc3_p: float


def _design(rows: list[Scores], with_order: bool, interaction: bool) -> np.ndarray:
    columns = []
    for row in rows:
        treated = float(row.condition == "cnn101")
        line = [1.0, row.pre, treated]
        if with_order:
            line.append(float(row.form_order == "BA"))
        if interaction:
            line.append(treated * row.pre)
        columns.append(line)
    return np.array(columns)


def _rss(design: np.ndarray, post: np.ndarray) -> float:
    coefficients, *_ = np.linalg.lstsq(design, post, rcond=None)
    residuals = post - design @ coefficients
    return float(residuals @ residuals)


def _pooled_sd(rows: list[Scores]) -> float | None:
    groups = [[r.post for r in rows if r.condition == c] for c in ("cnn101", "conventional")]
    if any(len(g) < 2 for g in groups):
        return None
    squares = sum(float(np.var(g, ddof=1)) * (len(g) - 1) for g in groups)
    sd = math.sqrt(squares / (len(rows) - 2))
    return sd if sd > 0 else None


def ancova_detail(rows: list[Scores]) -> AncovaDetail | None:
    """None when :func:`evaluation.analysis_scores.ancova_undefined` gives a reason (or the
    model with form order is rank-deficient and no residual degree of freedom is left)."""
    if ancova_undefined(rows) is not None:
        return None
    with_order = {row.form_order for row in rows} == {"AB", "BA"}
    design = _design(rows, with_order, interaction=False)
    n, k = design.shape
    if np.linalg.matrix_rank(design) < k or n - k < 1:
        with_order = False
        design = _design(rows, False, interaction=False)
        n, k = design.shape
    post = np.array([row.post for row in rows])
    coefficients, *_ = np.linalg.lstsq(design, post, rcond=None)
    residuals = post - design @ coefficients
    df = n - k
    rss = float(residuals @ residuals)
    inverse = np.linalg.inv(design.T @ design)
    se = math.sqrt(rss / df * float(inverse[2, 2]))
    difference = float(coefficients[2])
    half = float(stats.t.ppf(0.975, df)) * se
    # HC3: residuals inflated by their leverage, sandwich covariance; z-based as statsmodels.
    leverage = np.einsum("ij,jk,ik->i", design, inverse, design)
    weights = residuals**2 / (1 - leverage) ** 2
    sandwich = inverse @ (design.T * weights) @ design @ inverse
    hc3_se = math.sqrt(float(sandwich[2, 2]))
    slopes_f = slopes_p = None
    note = None
    full = _design(rows, with_order, interaction=True)
    if np.linalg.matrix_rank(full) == full.shape[1] and n - full.shape[1] >= 1:
        rss_full = _rss(full, post)
        df_full = n - full.shape[1]
        if rss_full > 0:
            slopes_f = (rss - rss_full) / (rss_full / df_full)
            slopes_p = float(stats.f.sf(slopes_f, 1, df_full))
            if slopes_p < 0.05:
                note = (
                    "The pre-test predicts the post-test differently in the two conditions "
                    "(condition-by-pre-test interaction p < .05), so one adjusted difference "
                    "does not describe every pre-test level; read it with care."
                )
    pooled = _pooled_sd(rows)
    return AncovaDetail(
        n=n,
        form_order_covariate=with_order,
        adjusted_difference=difference,
        ci_low=difference - half,
        ci_high=difference + half,
        df=df,
        p=float(2 * stats.t.sf(abs(difference / se), df)),
        standardised_difference=difference / pooled if pooled else None,
        slopes_f=slopes_f,
        slopes_p=slopes_p,
        slopes_note=note,
        hc3_standard_error=hc3_se,
        hc3_p=float(2 * stats.norm.sf(abs(difference / hc3_se))),
    )


def rank_test_method(first: list[float], second: list[float]) -> Literal["exact", "asymptotic"]:
    """ "exact" when both groups have at most EXACT_RANK_MAX_N people and no value is tied,
    else "asymptotic" (the normal approximation with tie and continuity correction)."""
    values = first + second
    small = max(len(first), len(second)) <= EXACT_RANK_MAX_N
    return "exact" if small and len(set(values)) == len(values) else "asymptotic"


def rank_test_p(first: list[float], second: list[float]) -> tuple[float, float, str]:
    """Mann-Whitney U, two-sided p and the method used (see :func:`rank_test_method`)."""
    method = rank_test_method(first, second)
    result = stats.mannwhitneyu(first, second, alternative="two-sided", method=method)
    return float(result.statistic), float(result.pvalue), method

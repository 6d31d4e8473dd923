"""What the outcome analysis works on, and when its ANCOVA is undefined.

Its own module because both ANCOVAs (:mod:`evaluation.analysis`, the original one, and
:mod:`evaluation.analysis_ancova`, with form order and its checks) need these two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluation.models import CONDITIONS


@dataclass(frozen=True)
class Scores:
    """One completed participant's scores as proportions of their form's items."""

    condition: str
    pre: float
    post: float
    participant: str = ""
    form_order: str = ""


# Below this share of the post-test's total variation, the residual is rounding: the model
# fits exactly (e.g. every post-test at ceiling) and F, p and partial eta squared are 0/0.
EXACT_FIT = 1e-12


def ancova_undefined(rows: list[Scores]) -> str | None:
    """Why the ANCOVA cannot be computed on ``rows``, or None when it can."""
    n = len(rows)
    if {row.condition for row in rows} != set(CONDITIONS):
        return "a condition has no participant who completed both tests"
    if n < 4:
        return f"{n} participants completed both tests; at least 4 are needed"
    design = np.array([[1.0, row.pre, float(row.condition == "cnn101")] for row in rows])
    if np.linalg.matrix_rank(design) < 3:
        return (
            "the pre-test scores do not vary (or vary only with the condition), so they "
            "cannot serve as a covariate"
        )
    post = np.array([row.post for row in rows])
    coefficients, *_ = np.linalg.lstsq(design, post, rcond=None)
    residuals = post - design @ coefficients
    total = float(((post - post.mean()) ** 2).sum())
    if float(residuals @ residuals) <= EXACT_FIT * max(total, 1.0):
        return (
            "the post-test scores leave no residual variation (for example, every post-test "
            "at ceiling): F, p and the effect size are undefined"
        )
    return None

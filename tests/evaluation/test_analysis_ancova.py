"""The extended ANCOVA and the exact Mann-Whitney rule against statsmodels and scipy,
on generated data sets (seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from evaluation.analysis_ancova import ancova_detail, rank_test_method, rank_test_p
from evaluation.analysis_scores import Scores


def generated(seed: int, n: int, order_effect: float) -> list[Scores]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        condition = ("cnn101", "conventional")[i % 2]
        order = ("AB", "BA")[(i // 2) % 2 if seed % 2 else rng.integers(2)]
        pre = rng.binomial(13, 0.4) / 13
        post = pre * 0.6 + 0.3 + (0.1 if condition == "cnn101" else 0.0)
        post += (order_effect if order == "BA" else 0.0) + rng.normal(0, 0.08)
        rows.append(Scores(condition=condition, pre=pre, post=post, form_order=order))
    return rows


def frame(rows: list[Scores]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "post": [r.post for r in rows],
            "pre": [r.pre for r in rows],
            "cnn": [float(r.condition == "cnn101") for r in rows],
            "ba": [float(r.form_order == "BA") for r in rows],
        }
    )


@pytest.mark.parametrize(
    ("seed", "n", "order_effect"), [(1, 50, -0.08), (2, 118, 0.0), (3, 11, 0.05)]
)
def test_ancova_detail_equals_statsmodels(seed: int, n: int, order_effect: float) -> None:
    rows = generated(seed, n, order_effect)
    data = frame(rows)
    detail = ancova_detail(rows)
    assert detail is not None and detail.form_order_covariate
    fit = smf.ols("post ~ pre + cnn + ba", data).fit()
    assert detail.adjusted_difference == pytest.approx(fit.params["cnn"], abs=1e-12)
    low, high = fit.conf_int().loc["cnn"]
    assert detail.ci_low == pytest.approx(low, abs=1e-12)
    assert detail.ci_high == pytest.approx(high, abs=1e-12)
    assert detail.p == pytest.approx(fit.pvalues["cnn"], rel=1e-9, abs=1e-14)
    assert detail.df == int(fit.df_resid)
    robust = smf.ols("post ~ pre + cnn + ba", data).fit(cov_type="HC3")
    assert detail.hc3_standard_error == pytest.approx(robust.bse["cnn"], abs=1e-12)
    assert detail.hc3_p == pytest.approx(robust.pvalues["cnn"], rel=1e-9, abs=1e-14)
    full = smf.ols("post ~ pre + cnn + ba + cnn:pre", data).fit()
    table = full.compare_f_test(fit)
    assert detail.slopes_f == pytest.approx(table[0], rel=1e-9)
    assert detail.slopes_p == pytest.approx(table[1], rel=1e-9, abs=1e-14)
    assert (detail.slopes_note is not None) == (table[1] < 0.05)
    groups = data.groupby("cnn")["post"]
    pooled = np.sqrt(((groups.count() - 1) * groups.var()).sum() / (len(data) - 2))
    assert detail.standardised_difference == pytest.approx(fit.params["cnn"] / pooled, abs=1e-12)


def test_one_form_order_leaves_it_out() -> None:
    rows = [Scores(r.condition, r.pre, r.post, form_order="AB") for r in generated(4, 40, 0.0)]
    detail = ancova_detail(rows)
    assert detail is not None and not detail.form_order_covariate
    fit = smf.ols("post ~ pre + cnn", frame(rows)).fit()
    assert detail.adjusted_difference == pytest.approx(fit.params["cnn"], abs=1e-12)


def test_ceiling_is_not_computed() -> None:
    rows = [
        Scores(c, pre, 1.0, form_order=o)
        for c, pre, o in [
            ("cnn101", 0.2, "AB"),
            ("cnn101", 0.5, "BA"),
            ("conventional", 0.3, "AB"),
            ("conventional", 0.6, "BA"),
            ("cnn101", 0.4, "AB"),
        ]
    ]
    assert ancova_detail(rows) is None


def test_exact_mann_whitney_rule() -> None:
    first, second = [0.1, 0.4, 0.35, 0.8], [0.2, 0.05, 0.3, 0.15, 0.5]
    assert rank_test_method(first, second) == "exact"
    u, p, method = rank_test_p(first, second)
    reference = stats.mannwhitneyu(first, second, method="exact")
    assert (u, p, method) == (reference.statistic, reference.pvalue, "exact")
    tied = [0.1, 0.4, 0.4, 0.8]
    assert rank_test_method(tied, second) == "asymptotic"
    big = list(np.linspace(0, 1, 9))
    assert rank_test_method(big, second) == "asymptotic"
    u, p, method = rank_test_p(tied, second)
    assert p == stats.mannwhitneyu(tied, second, method="asymptotic").pvalue

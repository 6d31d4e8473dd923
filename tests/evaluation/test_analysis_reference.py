"""On a fixed data set, every number of the analysis equals pingouin's and statsmodels'.

The reference libraries are only used here: the service computes with numpy and scipy,
so these tests compare two independent implementations.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.formula.api as smf

from evaluation.analysis import (
    ancova,
    gain_histogram,
    gain_rank_test,
    gain_test,
    hedges_g,
    summarise,
)
from evaluation.analysis_items import discrimination, kr20
from evaluation.analysis_scores import Scores
from tests.evaluation.closed_study import PLAN, run_closed_study
from tests.evaluation.conftest import FakeClock, MakeClient, instructor_client

ITEMS = 13


def fixed_class() -> pd.DataFrame:
    """A class of 60: counts out of 13, cnn101 a little ahead after learning (seeded)."""
    rng = np.random.default_rng(20200425)
    frames = []
    for condition, boost in (("cnn101", 0.25), ("conventional", 0.12)):
        pre = rng.binomial(ITEMS, 0.35, size=30)
        post = np.clip(pre + rng.binomial(ITEMS, boost, size=30) - rng.binomial(2, 0.3, 30), 0, 13)
        frames.append(
            pd.DataFrame({"condition": condition, "pre": pre / ITEMS, "post": post / ITEMS})
        )
    return pd.concat(frames, ignore_index=True)


def as_scores(data: pd.DataFrame) -> list[Scores]:
    columns = zip(data.condition.tolist(), data.pre.tolist(), data.post.tolist(), strict=True)
    return [Scores(str(condition), float(pre), float(post)) for condition, pre, post in columns]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return fixed_class()


def test_descriptives_equal_pandas(data: pd.DataFrame) -> None:
    data = data.assign(gain=data.post - data.pre)
    rows = as_scores(data)
    for condition, group in data.groupby("condition"):
        summary = summarise(str(condition), [r for r in rows if r.condition == condition])
        assert summary.n == len(group)
        assert summary.pre_mean == pytest.approx(group.pre.mean())
        assert summary.pre_sd == pytest.approx(group.pre.std(ddof=1))
        assert summary.post_mean == pytest.approx(group.post.mean())
        assert summary.post_sd == pytest.approx(group.post.std(ddof=1))
        assert summary.gain_mean == pytest.approx(group.gain.mean())
        assert summary.gain_sd == pytest.approx(group.gain.std(ddof=1))
        # Hake: the class-average normalised gain, <g> = (<post> - <pre>) / (1 - <pre>).
        hake = (group.post.mean() - group.pre.mean()) / (1 - group.pre.mean())
        assert summary.normalised_gain == pytest.approx(hake)


def test_welch_t_and_hedges_g_equal_pingouin(data: pd.DataFrame) -> None:
    gains = data.post - data.pre
    first = gains[data.condition == "cnn101"].to_numpy()
    second = gains[data.condition == "conventional"].to_numpy()
    reference = pg.ttest(first, second, correction=True).iloc[0]
    result = gain_test(as_scores(data))
    assert result is not None
    assert result.t == pytest.approx(reference["T"])
    assert result.df == pytest.approx(reference["dof"])
    assert result.p == pytest.approx(reference["p_val"])
    g = pg.compute_effsize(first, second, eftype="hedges")
    assert result.hedges_g == pytest.approx(g)
    low, high = pg.compute_esci(g, len(first), len(second), eftype="cohen", decimals=12)
    assert (result.g_ci_low, result.g_ci_high) == pytest.approx((low, high))
    assert hedges_g(list(first), list(second))[0] == pytest.approx(g)


def test_mann_whitney_equals_pingouin(data: pd.DataFrame) -> None:
    gains = data.post - data.pre
    reference = pg.mwu(
        gains[data.condition == "cnn101"], gains[data.condition == "conventional"]
    ).iloc[0]
    result = gain_rank_test(as_scores(data))
    assert result is not None
    assert result.u == pytest.approx(reference["U_val"])
    assert result.p == pytest.approx(reference["p_val"])


def test_ancova_equals_statsmodels_and_pingouin(data: pd.DataFrame) -> None:
    result = ancova(as_scores(data))
    assert result is not None
    model = smf.ols("post ~ pre + C(condition, Treatment('conventional'))", data=data).fit()
    term = "C(condition, Treatment('conventional'))[T.cnn101]"
    assert result.adjusted_difference == pytest.approx(model.params[term])
    assert result.standard_error == pytest.approx(model.bse[term])
    assert result.t == pytest.approx(model.tvalues[term])
    assert result.p == pytest.approx(model.pvalues[term])
    assert result.df == model.df_resid
    assert result.pre_slope == pytest.approx(model.params["pre"])
    table = pg.ancova(data=data, dv="post", covar="pre", between="condition").set_index("Source")
    assert result.f == pytest.approx(table.loc["condition", "F"])
    assert result.p == pytest.approx(table.loc["condition", "p_unc"])
    assert result.partial_eta_squared == pytest.approx(table.loc["condition", "np2"])


def fixed_responses() -> np.ndarray:
    """60 people by 13 items, harder items later, driven by one ability (seeded)."""
    rng = np.random.default_rng(7)
    ability = rng.normal(size=(60, 1))
    difficulty = np.linspace(-1.5, 1.5, ITEMS)
    return (rng.random((60, ITEMS)) < 1 / (1 + np.exp(difficulty - ability))).astype(int)


def test_item_statistics_equal_pingouin_and_pandas() -> None:
    matrix = fixed_responses()
    rows = matrix.tolist()
    alpha, _ = pg.cronbach_alpha(pd.DataFrame(matrix))
    # KR-20 is Cronbach's alpha of 0/1 items.
    assert kr20(rows) == pytest.approx(alpha)
    frame = pd.DataFrame(matrix)
    for column in range(ITEMS):
        rest = frame.drop(columns=column).sum(axis=1)
        assert discrimination(rows, column) == pytest.approx(frame[column].corr(rest))


def test_gain_histogram_equals_numpy(data: pd.DataFrame) -> None:
    histogram = gain_histogram(as_scores(data))
    for condition in ("cnn101", "conventional"):
        group = data[data.condition == condition]
        counts, _ = np.histogram(group.post - group.pre, bins=histogram.edges)
        assert histogram.counts[condition] == counts.tolist()
        assert sum(histogram.counts[condition]) == len(group)


def test_results_endpoint_equals_references_on_the_exported_data(
    make_client: MakeClient, shared_pg_url: str, clock: FakeClock
) -> None:
    """Through the real flow on PostgreSQL: the results equal pingouin on the export."""
    client = make_client(shared_pg_url)
    admin = instructor_client(client, shared_pg_url)
    study = run_closed_study(client, admin, clock)
    sid = study["id"]
    results = admin.get(f"/api/instructor/studies/{sid}/results").json()
    exported = admin.get(f"/api/instructor/studies/{sid}/export/participants.csv").text
    people = pd.DataFrame(list(csv.DictReader(io.StringIO(exported))))
    people = people.assign(
        pre=people.pre_correct.astype(int) / people.pre_items.astype(int),
        post=people.post_correct.astype(int) / people.post_items.astype(int),
    )
    counts = zip(people.pre_correct.astype(int), people.post_correct.astype(int), strict=True)
    assert sorted(counts) == sorted(PLAN)
    by_condition = {row["condition"]: row for row in results["conditions"]}
    for condition, group in people.groupby("condition"):
        assert by_condition[condition]["n"] == len(group)
        assert by_condition[condition]["post_mean"] == pytest.approx(group.post.mean())
    table = pg.ancova(data=people, dv="post", covar="pre", between="condition").set_index("Source")
    assert results["ancova"]["f"] == pytest.approx(table.loc["condition", "F"])
    assert results["ancova"]["partial_eta_squared"] == pytest.approx(table.loc["condition", "np2"])
    gains = people.post - people.pre
    welch = pg.ttest(
        gains[people.condition == "cnn101"], gains[people.condition == "conventional"]
    ).iloc[0]
    assert results["gain_test"]["t"] == pytest.approx(welch["T"])
    # The ANCOVA with form order (when both orders occur), its CI and HC3 check.
    detail = results["ancova_detail"]
    with_order = set(people.form_order) == {"AB", "BA"}
    assert detail["form_order_covariate"] is with_order
    formula = "post ~ pre + C(condition, Treatment('conventional'))"
    formula += " + C(form_order)" if with_order else ""
    model = smf.ols(formula, data=people).fit()
    term = "C(condition, Treatment('conventional'))[T.cnn101]"
    assert detail["adjusted_difference"] == pytest.approx(model.params[term])
    low, high = model.conf_int().loc[term]
    assert (detail["ci_low"], detail["ci_high"]) == pytest.approx((low, high))
    assert detail["p"] == pytest.approx(model.pvalues[term])
    robust = smf.ols(formula, data=people).fit(cov_type="HC3")
    assert detail["hc3_standard_error"] == pytest.approx(robust.bse[term])
    # 5 students per arm, tied gains: the asymptotic Mann-Whitney, and it says so.
    assert results["gain_rank_test"]["method"] == "asymptotic"


def test_an_exact_fit_is_reported_as_undefined_not_as_numbers() -> None:
    """Every post-test at ceiling: the residual is rounding, so F, p and partial eta
    squared are 0/0. They were printed as F(1,1) = .03, p = .900, partial eta^2 = .750."""
    from evaluation.analysis import ancova
    from evaluation.analysis_scores import Scores, ancova_undefined

    rows = [
        Scores(condition=condition, pre=pre, post=1.0)
        for condition, pre in [
            ("cnn101", 0.2),
            ("cnn101", 0.5),
            ("conventional", 0.3),
            ("conventional", 0.6),
        ]
    ]
    assert ancova(rows) is None
    assert "no residual variation" in (ancova_undefined(rows) or "")
    assert "at least 4" in (ancova_undefined(rows[:3]) or "")
    assert "a condition has no" in (ancova_undefined(rows[:2]) or "")
    flat = [Scores(condition=r.condition, pre=0.5, post=r.pre) for r in rows]
    assert "cannot serve as a covariate" in (ancova_undefined(flat) or "")

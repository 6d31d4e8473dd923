"""The power plan equals statsmodels without a covariate and a simulated ANCOVA with one."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from statsmodels.stats.power import TTestIndPower

from evaluation.power import ancova_power, arms, minimum_detectable_effect, plan, students_needed
from tests.evaluation.conftest import instructor_client


@pytest.mark.parametrize(
    ("effect", "n_first", "n_second"), [(0.5, 20, 20), (0.3, 64, 65), (1.1, 6, 9)]
)
def test_power_without_a_covariate_equals_statsmodels(
    effect: float, n_first: int, n_second: int
) -> None:
    reference = TTestIndPower().power(effect, n_first, 0.05, ratio=n_second / n_first)
    ours = ancova_power(effect, n_first, n_second, covariates=0)
    assert ours == pytest.approx(reference, abs=1e-10)


def test_minimum_detectable_effect_equals_statsmodels_solution() -> None:
    reference = TTestIndPower().solve_power(None, nobs1=20, alpha=0.05, power=0.8, ratio=1.0)
    assert minimum_detectable_effect(20, 20, covariates=0) == pytest.approx(reference, abs=1e-6)


def _simulated_ancova_power(effect: float, rho: float, n_each: int, runs: int) -> float:
    """Share of simulated studies whose ANCOVA group term is significant at .05 (two-sided)."""
    from scipy import stats

    rng = np.random.default_rng(18)
    group = np.repeat([0.0, 1.0], n_each)
    design = np.column_stack([np.ones(2 * n_each), group, np.zeros(2 * n_each)])
    df = 2 * n_each - 3
    critical = stats.t.ppf(0.975, df)
    hits = 0
    for _ in range(runs):
        pre = rng.standard_normal(2 * n_each)
        post = rho * pre + np.sqrt(1 - rho**2) * rng.standard_normal(2 * n_each) + effect * group
        design[:, 2] = pre
        coef, rss, _, _ = np.linalg.lstsq(design, post, rcond=None)
        sigma2 = rss[0] / df
        se = np.sqrt(sigma2 * np.linalg.inv(design.T @ design)[1, 1])
        hits += abs(coef[1] / se) > critical
    return hits / runs


def test_power_with_the_pretest_matches_a_simulated_ancova() -> None:
    runs = 6000
    simulated = _simulated_ancova_power(0.5, 0.6, 20, runs)
    predicted = ancova_power(0.5, 20, 20, pretest_correlation=0.6)
    # Three standard errors of the simulation; the formula ignores chance imbalance of
    # the pre-test between arms, which costs a little power at 20 per arm.
    assert abs(simulated - predicted) < 3 * np.sqrt(predicted * (1 - predicted) / runs) + 0.01


def test_a_pretest_lowers_the_class_size_needed() -> None:
    without = students_needed(0.5, pretest_correlation=0.0)
    with_pretest = students_needed(0.5, pretest_correlation=0.6)
    assert with_pretest < without
    first, second = arms(with_pretest)
    assert ancova_power(0.5, first, second, pretest_correlation=0.6) >= 0.8
    first, second = arms(with_pretest - 1)
    assert ancova_power(0.5, first, second, pretest_correlation=0.6) < 0.8


def test_plan_for_a_class_of_forty_says_what_it_can_detect() -> None:
    result = plan(40)
    assert result.arms == (20, 20)
    assert 0.6 < result.minimum_detectable_effect < 0.9
    assert result.power_for["small"] < result.power_for["medium"] < result.power_for["large"]
    assert "40 students" in result.summary
    assert f"needs {result.students_for_medium_effect} students" in result.summary


def test_power_route_answers_instructors_and_refuses_bad_input(
    client: TestClient, database_url: str
) -> None:
    assert client.get("/api/instructor/planning/power?students=40").status_code == 401
    teacher = instructor_client(client, database_url)
    answer = teacher.get("/api/instructor/planning/power?students=40&pretest_correlation=0.5")
    assert answer.status_code == 200, answer.text
    assert answer.json()["minimum_detectable_effect"] == plan(40).minimum_detectable_effect
    for query in ("students=3", "students=40&pretest_correlation=1", "students=x", ""):
        refused = teacher.get(f"/api/instructor/planning/power?{query}")
        assert refused.status_code == 422, (query, refused.text)

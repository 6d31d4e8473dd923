"""How large a difference a study of a given class size can detect (planning, issue 18).

An instructor who runs the study with 30 students should know before it starts that it
can only detect a large difference between the arms: a null result from such a study says
little. The planned analysis is an ANCOVA of the post-test on the pre-test, so the power
is that of a two-sample t-test on the effect the pre-test leaves unexplained: the
standardised difference d grows to d / sqrt(1 - rho^2) when the pre-test correlates rho
with the post-test, and one residual degree of freedom goes to the covariate (Borm,
Fransen & Lemmens, 2007, J Clin Epidemiol 60:1234). The exact power comes from the
noncentral t distribution (SciPy); with no covariate it equals statsmodels'
``TTestIndPower`` (checked in tests/evaluation/test_power.py, beside a simulation of the
ANCOVA itself).
"""

from __future__ import annotations

import math

from pydantic import BaseModel
from scipy import optimize, stats

# Cohen's (1988) conventional benchmarks, used only to put a number into words.
SMALL, MEDIUM, LARGE = 0.2, 0.5, 0.8


def arms(students: int) -> tuple[int, int]:
    """The two arms' sizes when ``students`` are allocated in balanced blocks."""
    return students // 2, students - students // 2


def ancova_power(
    effect: float,
    n_first: int,
    n_second: int,
    *,
    alpha: float = 0.05,
    pretest_correlation: float = 0.0,
    covariates: int = 1,
) -> float:
    """Two-sided power to detect a standardised post-test difference ``effect``."""
    if n_first < 2 or n_second < 2:
        raise ValueError("each arm needs at least two students")
    if not 0.0 <= pretest_correlation < 1.0:
        raise ValueError("the pre-test correlation must be in [0, 1)")
    df = n_first + n_second - 2 - covariates
    if df < 1:
        raise ValueError("too few students for the covariates")
    adjusted = effect / math.sqrt(1.0 - pretest_correlation**2)
    noncentrality = adjusted * math.sqrt(n_first * n_second / (n_first + n_second))
    critical = float(stats.t.ppf(1.0 - alpha / 2.0, df))
    upper = float(stats.nct.sf(critical, df, noncentrality))
    lower = float(stats.nct.cdf(-critical, df, noncentrality))
    if math.isnan(upper):  # SciPy's series gives up far in the tail: the power is ~1
        return 1.0
    return upper + (0.0 if math.isnan(lower) else lower)


def minimum_detectable_effect(
    n_first: int,
    n_second: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    pretest_correlation: float = 0.0,
    covariates: int = 1,
) -> float:
    """The smallest standardised difference detected with probability ``power``."""

    def shortfall(effect: float) -> float:
        achieved = ancova_power(
            effect,
            n_first,
            n_second,
            alpha=alpha,
            pretest_correlation=pretest_correlation,
            covariates=covariates,
        )
        return achieved - power

    return float(optimize.brentq(shortfall, 1e-9, 50.0, xtol=1e-12))


def students_needed(
    effect: float, *, alpha: float = 0.05, power: float = 0.8, pretest_correlation: float = 0.0
) -> int:
    """The smallest class (both arms, balanced) that detects ``effect`` with ``power``."""
    students = 6
    while students < 100_000:
        first, second = arms(students)
        reached = ancova_power(
            effect, first, second, alpha=alpha, pretest_correlation=pretest_correlation
        )
        if reached >= power:
            return students
        students += 1
    raise ValueError("no class under 100,000 students reaches that power")


def size_in_words(effect: float) -> str:
    if effect < SMALL:
        return "smaller than small"
    if effect < MEDIUM:
        return "small to medium"
    if effect < LARGE:
        return "medium to large"
    return "large"


class PowerPlan(BaseModel):
    """What a planned class can detect, with the assumptions it rests on."""

    students: int
    arms: tuple[int, int]
    alpha: float
    power: float
    pretest_correlation: float
    minimum_detectable_effect: float
    effect_in_words: str
    power_for: dict[str, float]
    students_for_medium_effect: int
    summary: str


def plan(
    students: int, *, alpha: float = 0.05, power: float = 0.8, pretest_correlation: float = 0.5
) -> PowerPlan:
    """The power plan shown when a study is created and written into the pre-registration."""
    first, second = arms(students)
    mde = minimum_detectable_effect(
        first, second, alpha=alpha, power=power, pretest_correlation=pretest_correlation
    )
    power_for = {
        label: round(
            ancova_power(
                effect, first, second, alpha=alpha, pretest_correlation=pretest_correlation
            ),
            4,
        )
        for label, effect in (("small", SMALL), ("medium", MEDIUM), ("large", LARGE))
    }
    needed = students_needed(
        MEDIUM, alpha=alpha, power=power, pretest_correlation=pretest_correlation
    )
    summary = (
        f"With {students} students who take both tests ({first} and {second} per arm), the "
        f"study detects a difference of d = {mde:.2f} or more ({size_in_words(mde)}) "
        f"{power:.0%} of the time at a {alpha:g} significance level, assuming the pre-test "
        f"correlates {pretest_correlation:g} with the post-test. A medium difference "
        f"(d = 0.5) needs {needed} students; with fewer, a non-significant result does not "
        "show that the arms teach equally well."
    )
    return PowerPlan(
        students=students,
        arms=(first, second),
        alpha=alpha,
        power=power,
        pretest_correlation=pretest_correlation,
        minimum_detectable_effect=round(mde, 4),
        effect_in_words=size_in_words(mde),
        power_for=power_for,
        students_for_medium_effect=needed,
        summary=summary,
    )

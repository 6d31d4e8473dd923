"""The results in plain sentences, for an instructor who does not read APA strings.

Derived only from the numbers of :class:`evaluation.analysis.Results`, so it is frozen with
them when a study closes. It reads the confidence interval first (what the data allow),
then the p-value, and says when the sample, the reliability of the forms, a ceiling or the
checks make the comparison hard to read — the warnings a statistician would give aloud.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evaluation.analysis_itt import disagreement

if TYPE_CHECKING:
    from evaluation.analysis import Results

SMALL_GROUP = 20  # students per condition below which an estimate is imprecise
LOW_RELIABILITY = 0.5  # KR-20 below which a form's score is mostly noise
CEILING = 0.9  # post-test mean above which the test is too easy to separate the groups
LABEL = {"cnn101": "CNN 101", "conventional": "the conventional material"}


def _points(value: float) -> str:
    return f"{abs(value) * 100:.1f} percentage points"


def apa_p(value: float) -> str:
    """A p-value in APA style, plain text: no leading zero, tiny ones as "< .001"."""
    return "< .001" if value < 0.001 else f"{value:.3f}".lstrip("0")


def _p(value: float) -> str:
    text = apa_p(value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _comparison(results: Results) -> list[str]:
    detail, ancova = results.ancova_detail, results.ancova
    if ancova is None or detail is None:
        if ancova is None:
            reason = results.ancova_undefined or "too few students"
            return [f"The main comparison could not be computed: {reason}."]
        return [
            f"At equal pre-test scores, CNN 101 students scored "
            f"{_points(ancova.adjusted_difference)} "
            f"{'higher' if ancova.adjusted_difference >= 0 else 'lower'} on the post-test "
            f"than conventional students ({_p(ancova.p)})."
        ]
    direction = "higher" if detail.adjusted_difference >= 0 else "lower"
    adjusted_for = (
        "pre-test scores and form order" if detail.form_order_covariate else ("pre-test scores")
    )
    sentences = [
        f"At equal {adjusted_for}, students who used CNN 101 scored "
        f"{_points(detail.adjusted_difference)} {direction} on the post-test than those "
        f"who had the conventional material (95 % confidence interval: "
        f"{detail.ci_low * 100:+.1f} to {detail.ci_high * 100:+.1f} points)."
    ]
    if detail.ci_low > 0 or detail.ci_high < 0:
        favoured = "CNN 101" if detail.ci_low > 0 else "the conventional material"
        sentences.append(
            f"The interval does not include zero: the data favour {favoured} ({_p(detail.p)})."
        )
    else:
        sentences.append(
            f"The interval includes zero: these data cannot tell the two conditions apart "
            f"({_p(detail.p)}). That is not evidence that they teach equally well."
        )
    if detail.standardised_difference is not None:
        sentences.append(
            f"In standard deviations of the post-test scores the difference is "
            f"{detail.standardised_difference:.2f}."
        )
    if (detail.p < 0.05) != (detail.hc3_p < 0.05):
        sentences.append(
            "The robust check (HC3 standard errors) does not agree on significance "
            f"({_p(detail.hc3_p)}): read the result with caution."
        )
    if detail.slopes_note:
        sentences.append(detail.slopes_note)
    return sentences


def _warnings(results: Results) -> list[str]:
    sentences = []
    sizes = {row.condition: row.n for row in results.conditions}
    if sizes and min(sizes.values()) < SMALL_GROUP:
        sentences.append(
            f"Fewer than {SMALL_GROUP} students in a condition "
            f"({', '.join(f'{LABEL.get(c, c)}: {n}' for c, n in sizes.items())}): the estimate is "
            "imprecise; read the interval rather than the p-value."
        )
    low = [
        f"form {row.form} {row.phase}-test "
        f"({'not computable' if row.kr20 is None else f'{row.kr20:.2f}'})"
        for row in results.reliability
        if row.kr20 is None or row.kr20 < LOW_RELIABILITY
    ]
    if low:
        sentences.append(
            f"Low reliability (KR-20 below {LOW_RELIABILITY}) for {', '.join(low)}: those "
            "scores carry much noise, which can hide a real difference."
        )
    high = [
        f"{LABEL.get(row.condition, row.condition)} {row.post_mean:.2f}"
        for row in results.conditions
        if row.post_mean is not None and row.post_mean > CEILING
    ]
    if high:
        sentences.append(
            f"Post-test means near the ceiling ({', '.join(high)}): the test may be too easy "
            "to show a difference."
        )
    return sentences


def plain_summary(results: Results) -> list[str]:
    """Sentences: who took both tests, the main comparison, then any warning."""
    counts = ", ".join(
        f"{row.n} with {LABEL.get(row.condition, row.condition)}" for row in results.conditions
    )
    itt = disagreement(results.ancova_detail, results.itt)
    return [
        f"Students who took both tests: {counts}.",
        *_comparison(results),
        *([itt] if itt else []),
        *_warnings(results),
    ]

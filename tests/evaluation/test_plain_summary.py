"""The results in plain sentences: the interval first, then the warnings."""

from __future__ import annotations

from evaluation.analysis import ConditionSummary, Results
from evaluation.analysis_ancova import AncovaDetail
from evaluation.analysis_items import FormReliability
from evaluation.plain_summary import plain_summary


def _condition(name: str, n: int, post: float) -> ConditionSummary:
    return ConditionSummary(
        condition=name,
        n=n,
        pre_mean=0.4,
        pre_sd=0.1,
        post_mean=post,
        post_sd=0.1,
        gain_mean=post - 0.4,
        gain_sd=0.1,
        normalised_gain=None,
    )


def _detail(**changes: object) -> AncovaDetail:
    values: dict[str, object] = {
        "n": 60,
        "form_order_covariate": True,
        "adjusted_difference": 0.119,
        "ci_low": 0.05,
        "ci_high": 0.188,
        "df": 56,
        "p": 0.0012,
        "standardised_difference": 0.81,
        "slopes_f": 0.4,
        "slopes_p": 0.53,
        "slopes_note": None,
        "hc3_standard_error": 0.034,
        "hc3_p": 0.0005,
        **changes,
    }
    return AncovaDetail.model_validate(values)


def _results(detail: AncovaDetail | None, n: int = 30, post: float = 0.7) -> Results:
    from evaluation.analysis import Ancova

    ancova = Ancova(
        n=2 * n,
        adjusted_difference=0.119,
        standard_error=0.034,
        t=3.5,
        df=57,
        p=0.001,
        f=12.2,
        partial_eta_squared=0.18,
        pre_slope=0.6,
    )
    return Results(
        conditions=[_condition("cnn101", n, post), _condition("conventional", n, 0.6)],
        ancova=ancova if detail else None,
        ancova_undefined=None if detail else "a condition has no participant",
        ancova_detail=detail,
        gain_test=None,
        gain_rank_test=None,
        concepts=[],
        items=[],
        reliability=[FormReliability(form="A", phase="pre", n=60, kr20=0.71)],
    )


def test_a_clear_difference_is_read_from_its_interval() -> None:
    sentences = plain_summary(_results(_detail()))
    assert sentences[0] == (
        "Students who took both tests: 30 with CNN 101, 30 with the conventional material."
    )
    assert sentences[1] == (
        "At equal pre-test scores and form order, students who used CNN 101 scored 11.9 "
        "percentage points higher on the post-test than those who had the conventional "
        "material (95 % confidence interval: +5.0 to +18.8 points)."
    )
    assert sentences[2] == (
        "The interval does not include zero: the data favour CNN 101 (p = .001)."
    )
    assert sentences[3].endswith("the difference is 0.81.")
    assert len(sentences) == 4  # no warning


def test_an_interval_across_zero_is_not_called_equality() -> None:
    detail = _detail(adjusted_difference=0.02, ci_low=-0.04, ci_high=0.08, p=0.51, hc3_p=0.49)
    sentences = plain_summary(_results(detail))
    assert "cannot tell the two conditions apart (p = .510)" in sentences[2]
    assert "not evidence that they teach equally well" in sentences[2]


def test_small_groups_low_reliability_ceiling_and_disagreeing_checks_are_said() -> None:
    detail = _detail(p=0.03, hc3_p=0.08, slopes_note="The pre-test predicts differently.")
    results = _results(detail, n=8, post=0.95).model_copy(
        update={"reliability": [FormReliability(form="B", phase="post", n=16, kr20=0.31)]}
    )
    text = " ".join(plain_summary(results))
    assert "The robust check (HC3 standard errors) does not agree on significance" in text
    assert "The pre-test predicts differently." in text
    assert "Fewer than 20 students in a condition (CNN 101: 8" in text
    assert "Low reliability (KR-20 below 0.5) for form B post-test (0.31)" in text
    assert "Post-test means near the ceiling (CNN 101 0.95)" in text


def test_an_undefined_comparison_gives_its_reason() -> None:
    sentences = plain_summary(_results(None))
    assert sentences[1] == (
        "The main comparison could not be computed: a condition has no participant."
    )

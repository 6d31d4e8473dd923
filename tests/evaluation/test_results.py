"""The analysis equals scipy's on a fixed data set; exports carry a codebook."""

from __future__ import annotations

import csv
import io
import math
from statistics import mean, stdev

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats

from evaluation.analysis import (
    ancova,
    gain_rank_test,
    gain_test,
    hedges_g,
    summarise,
)
from evaluation.analysis_items import discrimination, kr20
from evaluation.analysis_scores import Scores
from evaluation.export import ALLOCATION_CODEBOOK, ANSWER_CODEBOOK, PARTICIPANT_CODEBOOK
from evaluation.export_events import EVENT_CODEBOOK
from tests.evaluation.conftest import FakeClock, instructor_client
from tests.evaluation.helpers import (
    ITEMS_PER_FORM,
    answer_items,
    consent,
    create_open_study,
    finish,
    join,
    start,
)

CNN101 = [(0.2, 0.8), (0.4, 0.9), (0.3, 0.6), (0.5, 0.9), (0.1, 0.7)]
CONVENTIONAL = [(0.3, 0.5), (0.2, 0.4), (0.4, 0.7), (0.5, 0.6)]


def test_summary_and_gain_test_match_scipy() -> None:
    rows = [Scores("cnn101", pre, post) for pre, post in CNN101] + [
        Scores("conventional", pre, post) for pre, post in CONVENTIONAL
    ]
    summary = summarise("cnn101", rows[:5])
    assert summary.n == 5
    assert summary.pre_mean == pytest.approx(0.3)
    assert summary.post_mean == pytest.approx(0.78)
    assert summary.pre_sd == pytest.approx(stdev([0.2, 0.4, 0.3, 0.5, 0.1]))
    assert summary.normalised_gain == pytest.approx((0.78 - 0.3) / (1 - 0.3))

    gains_a = [post - pre for pre, post in CNN101]
    gains_b = [post - pre for pre, post in CONVENTIONAL]
    reference = stats.ttest_ind(gains_a, gains_b, equal_var=False)
    test = gain_test(rows)
    assert test is not None
    assert test.t == pytest.approx(float(reference.statistic))
    assert test.p == pytest.approx(float(reference.pvalue))
    assert test.df == pytest.approx(float(reference.df))
    # Hedges' g: Cohen's d with the pooled SD times the small-sample correction J.
    n1, n2 = len(gains_a), len(gains_b)
    pooled = math.sqrt(
        ((n1 - 1) * stdev(gains_a) ** 2 + (n2 - 1) * stdev(gains_b) ** 2) / (n1 + n2 - 2)
    )
    d = (mean(gains_a) - mean(gains_b)) / pooled
    g, low, high = hedges_g(gains_a, gains_b)
    assert g == pytest.approx(d * (1 - 3 / (4 * (n1 + n2) - 9)))
    assert low < g < high
    assert gain_test(rows[:6]) is None  # one conventional participant: no test


MATRIX = [
    [1, 1, 1, 0, 1],
    [1, 0, 1, 0, 0],
    [0, 0, 1, 0, 0],
    [1, 1, 1, 1, 1],
    [0, 1, 0, 0, 1],
    [1, 1, 0, 1, 1],
]


def test_item_statistics_match_their_definitions() -> None:
    matrix = np.array(MATRIX)
    k = matrix.shape[1]
    p = matrix.mean(axis=0)
    expected = k / (k - 1) * (1 - (p * (1 - p)).sum() / matrix.sum(axis=1).var())
    assert kr20(MATRIX) == pytest.approx(expected)
    rest = matrix.sum(axis=1) - matrix[:, 1]
    reference = stats.pearsonr(matrix[:, 1], rest).statistic
    assert discrimination(MATRIX, 1) == pytest.approx(float(reference))
    assert discrimination([[1, 0], [1, 1], [1, 0]], 0) is None  # everyone right: undefined
    assert kr20([[1, 1], [1, 1]]) is None


def test_ancova_equals_the_model_comparison() -> None:
    rows = [Scores("cnn101", pre, post) for pre, post in CNN101] + [
        Scores("conventional", pre, post) for pre, post in CONVENTIONAL
    ]
    result = ancova(rows)
    assert result is not None and result.df == len(rows) - 3
    # The same F from the other route: residual sums of squares of nested models.
    pre = np.array([row.pre for row in rows])
    post = np.array([row.post for row in rows])
    group = np.array([float(row.condition == "cnn101") for row in rows])

    def rss(*columns: np.ndarray) -> float:
        design = np.column_stack([np.ones(len(rows)), *columns])
        fitted = design @ np.linalg.lstsq(design, post, rcond=None)[0]
        return float(((post - fitted) ** 2).sum())

    full, reduced = rss(pre, group), rss(pre)
    f = (reduced - full) / (full / result.df)
    assert result.f == pytest.approx(f)
    assert result.p == pytest.approx(float(stats.f.sf(f, 1, result.df)))
    assert result.partial_eta_squared == pytest.approx((reduced - full) / reduced)
    assert result.t**2 == pytest.approx(result.f)
    assert ancova(rows[:5]) is None  # one condition only


def test_rank_test_matches_scipy() -> None:
    rows = [Scores("cnn101", pre, post) for pre, post in CNN101] + [
        Scores("conventional", pre, post) for pre, post in CONVENTIONAL
    ]
    reference = stats.mannwhitneyu(
        [post - pre for pre, post in CNN101],
        [post - pre for pre, post in CONVENTIONAL],
        alternative="two-sided",
    )
    result = gain_rank_test(rows)
    assert result is not None
    assert result.u == pytest.approx(float(reference.statistic))
    assert result.p == pytest.approx(float(reference.pvalue))


def test_results_and_export_after_closing(
    client: TestClient, database_url: str, clock: FakeClock
) -> None:
    admin = instructor_client(client, database_url)
    study = create_open_study(admin, learning_seconds=60)
    students = []
    for number in range(4):
        headers = join(client, study["join_code"])
        consent(client, headers, prior_ml=number % 2 == 0)
        answer_items(client, headers, start(client, headers, "pre"), n_correct=number)
        finish(client, headers, "pre")
        assert client.post("/api/student/assignment", headers=headers).status_code == 200
        start(client, headers, "learning")
        students.append(headers)
    clock.advance(60)
    for number, headers in enumerate(students):
        answer_items(client, headers, start(client, headers, "post"), n_correct=number + 5)
        finish(client, headers, "post")
    sid = study["id"]
    assert admin.get(f"/api/instructor/studies/{sid}/export/answers.csv").status_code == 409
    admin.post(f"/api/instructor/studies/{sid}/close")
    results = admin.get(f"/api/instructor/studies/{sid}/results").json()
    assert sum(row["n"] for row in results["conditions"]) == 4
    assert set(results) >= {"ancova", "gain_test", "gain_rank_test", "items", "reliability"}
    assert {row["concept"] for row in results["concepts"]} >= {"relu", "softmax", "flatten"}
    exported = admin.get(f"/api/instructor/studies/{sid}/export/answers.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 4 * 2 * ITEMS_PER_FORM
    assert list(rows[0]) == list(ANSWER_CODEBOOK)
    assert sum(int(row["is_correct"]) for row in rows) == sum(range(4)) + sum(range(5, 9))
    as_json = admin.get(f"/api/instructor/studies/{sid}/export/answers.json").json()
    assert as_json["codebook"] == ANSWER_CODEBOOK and len(as_json["rows"]) == 4 * 2 * ITEMS_PER_FORM
    people = admin.get(f"/api/instructor/studies/{sid}/export/participants.csv")
    people_rows = list(csv.DictReader(io.StringIO(people.text)))
    assert list(people_rows[0]) == list(PARTICIPANT_CODEBOOK)
    assert sorted(int(row["pre_correct"]) for row in people_rows) == [0, 1, 2, 3]
    assert sorted(int(row["post_correct"]) for row in people_rows) == [5, 6, 7, 8]
    assert {row["post_finish_reason"] for row in people_rows} == {"submitted"}
    assert sum(row["n"] for row in results["reliability"] if row["phase"] == "pre") == 4
    assert len(results["items"]) == ITEMS_PER_FORM * len(results["reliability"])
    codebook = admin.get(f"/api/instructor/studies/{sid}/export/codebook").json()
    assert codebook == {
        "answers": ANSWER_CODEBOOK,
        "participants": PARTICIPANT_CODEBOOK,
        "allocations": ALLOCATION_CODEBOOK,
        "events": EVENT_CODEBOOK,
    }

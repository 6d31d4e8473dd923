"""Section fixed effects, errors clustered by section and the intention-to-treat ANCOVA
equal statsmodels on a class the test generates and drives through the student pages
(PostgreSQL, over HTTP); and what is reported when they are undefined.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from fastapi.testclient import TestClient

from evaluation.analysis_ancova import ancova_detail
from evaluation.analysis_clustered import section_sensitivity
from evaluation.analysis_itt import IntentionToTreat, disagreement
from evaluation.analysis_scores import Scores
from evaluation.report import build_report
from tests.databases import FakeClock, PostgresDatabases
from tests.evaluation.conftest import MakeClient, db_session, instructor_client
from tests.evaluation.helpers import answer_items, create_open_study, finish, join, start

SECTIONS = ["Mon 9:00", "Tue 14:00", "Wed 11:00"]
TOLERANCE = 1e-10


def _class(seed: int = 7) -> list[dict[str, Any]]:
    """36 students, 12 per section (a section effect on the post-test); 5 leave early."""
    rng = np.random.default_rng(seed)
    students = []
    for number in range(36):
        section = number % 3
        pre = int(rng.integers(0, 8))
        post = min(13, pre + int(rng.integers(0, 5)) + 2 * section)
        students.append(
            {"section": section, "pre": pre, "post": post, "leaves": number in (3, 10, 17, 22, 31)}
        )
    return students


def _drive(client: TestClient, admin: TestClient, clock: FakeClock) -> dict[str, Any]:
    study = create_open_study(
        admin, learning_seconds=60, assignment_seed=20261205, sections=SECTIONS
    )
    plan = _class()
    tokens = []
    for number, student in enumerate(plan):
        headers = join(client, study["join_code"])
        body = {"choice": "participate", "prior_ml": number % 4 == 0, "section": student["section"]}
        assert client.post("/api/student/consent", json=body, headers=headers).status_code == 204
        answer_items(client, headers, start(client, headers, "pre"), n_correct=student["pre"])
        finish(client, headers, "pre")
        assert client.post("/api/student/assignment", headers=headers).status_code == 200
        start(client, headers, "learning")
        tokens.append(headers)
    clock.advance(60)
    for headers, student in zip(tokens, plan, strict=True):
        if not student["leaves"]:
            answer_items(client, headers, start(client, headers, "post"), student["post"])
            finish(client, headers, "post")
    assert admin.post(f"/api/instructor/studies/{study['id']}/close").status_code == 200
    return study


def _frame(admin: TestClient, study_id: int) -> pd.DataFrame:
    exported = admin.get(f"/api/instructor/studies/{study_id}/export/participants.json")
    assert exported.status_code == 200, exported.text
    rows = exported.json()["rows"]
    assert {row["section"] for row in rows} == set(SECTIONS)
    data = pd.DataFrame(rows)
    data["pre"] = data.pre_correct / data.pre_items
    data["post"] = data.post_correct / data.post_items
    data["treated"] = (data.condition == "cnn101").astype(float)
    data["ba"] = (data.form_order == "BA").astype(float)
    return data


def _close(actual: float, expected: float) -> None:
    assert abs(actual - expected) < TOLERANCE, (actual, expected)


FORMULA = "post ~ treated + pre + ba"


def _same_effect(reported: dict[str, Any], fit: Any) -> None:
    """The condition's estimate, SE, t, p and 95 % CI equal a statsmodels fit's."""
    _close(reported["adjusted_difference"], fit.params["treated"])
    _close(reported["standard_error"], fit.bse["treated"])
    _close(reported["t"], fit.tvalues["treated"])
    _close(reported["p"], fit.pvalues["treated"])
    low, high = fit.conf_int().loc["treated"]
    _close(reported["ci_low"], low)
    _close(reported["ci_high"], high)


def test_section_checks_and_itt_equal_statsmodels_on_a_class_driven_over_http(
    make_client: MakeClient, postgres: PostgresDatabases, clock: FakeClock
) -> None:
    url = postgres.create()
    client = make_client(url)
    admin = instructor_client(client, url)
    study = _drive(client, admin, clock)
    results = admin.get(f"/api/instructor/studies/{study['id']}/results").json()
    data = _frame(admin, study["id"])
    complete = data[data.post_correct.notna()].copy()
    assert len(complete) == 31 and results["ancova_detail"]["n"] == 31
    assert results["ancova_detail"]["form_order_covariate"] is True

    sensitivity = results["section_sensitivity"]
    assert sensitivity["clusters"] == 3 and sensitivity["n"] == 31
    assert [row["section"] for row in sensitivity["sections"]] == SECTIONS
    assert "G - 1 = 2 degrees of freedom" in sensitivity["caveat"]
    assert "complete cases" in sensitivity["population"]

    fixed = smf.ols(FORMULA + " + C(section)", data=complete).fit()
    _same_effect(sensitivity["fixed_effects"], fixed)
    assert sensitivity["fixed_effects"]["df"] == fixed.df_resid
    groups = complete.section.map(SECTIONS.index).to_numpy()
    cluster = smf.ols(FORMULA, data=complete).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    _same_effect(sensitivity["clustered"], cluster)
    assert sensitivity["clustered"]["df"] == 2  # G - 1

    itt = results["itt"]
    assigned = data[data.condition.notna()].copy()
    assigned["post"] = assigned.post.fillna(assigned.pre)  # baseline carried forward
    assert (itt["n"], itt["imputed"], itt["identical_to_complete_cases"]) == (36, 5, False)
    assert sum(arm["imputed"] for arm in itt["arms"]) == 5
    reference = smf.ols(FORMULA, data=assigned).fit()
    _close(itt["ancova"]["adjusted_difference"], reference.params["treated"])
    _close(itt["ancova"]["p"], reference.pvalues["treated"])
    low, high = reference.conf_int().loc["treated"]
    _close(itt["ancova"]["ci_low"], low)
    _close(itt["ancova"]["ci_high"], high)
    assert "zero gain" in itt["statement"]
    assert itt["planned"] is True and sensitivity["planned"] is True  # in its pre-registration
    assert results["populations"]["ancova_detail"].startswith("complete cases")
    assert results["populations"]["itt"].startswith("intention to treat")

    with db_session(url) as session:
        report = build_report(session, study["id"])
    assert "<h3>Intention to treat</h3>" in report and "<h3>Sections (sensitivity)</h3>" in report
    assert report.count('class="population"') >= 7  # every table says whom it describes
    assert "with section fixed effects" in report and "Only 3 sections" in report
    assert "intention-to-treat analysis takes every randomised student" in report
    assert "Sections: the study ran in 3 course sections" in report


def _rows(values: list[tuple[str, float, float, str]]) -> list[Scores]:
    return [
        Scores(condition, pre, post, participant=f"P-{n}", form_order=order)
        for n, (condition, pre, post, order) in enumerate(values)
    ]


def test_one_section_gives_no_check_and_confounded_sections_are_undefined() -> None:
    rows = _rows(
        [
            ("cnn101", 0.1, 0.5, "AB"),
            ("cnn101", 0.3, 0.6, "AB"),
            ("cnn101", 0.2, 0.9, "AB"),
            ("conventional", 0.2, 0.3, "AB"),
            ("conventional", 0.4, 0.5, "AB"),
            ("conventional", 0.5, 0.4, "AB"),
        ]
    )
    primary = ancova_detail(rows)
    assert primary is not None
    one = {row.participant: 0 for row in rows}
    assert section_sensitivity(rows, one, ["Mon"], primary) is None
    # Each condition in a section of its own: the condition is the section.
    split = {row.participant: int(row.condition == "cnn101") for row in rows}
    checked = section_sensitivity(rows, split, ["Mon", "Tue"], primary)
    assert checked is not None and checked.fixed_effects is None
    assert checked.fixed_effects_undefined is not None
    assert "confounded" in checked.fixed_effects_undefined
    assert checked.clustered is not None and checked.caveat is not None


@pytest.mark.parametrize(
    ("itt_difference", "itt_p", "says"),
    [(-0.05, 0.01, "direction"), (0.05, 0.4, "significance"), (0.06, 0.02, None)],
)
def test_plain_summary_sentence_when_itt_and_complete_cases_disagree(
    itt_difference: float, itt_p: float, says: str | None
) -> None:
    rows = _rows([("cnn101", 0.1 * n, 0.1 * n + 0.2, "AB") for n in range(4)])
    complete = ancova_detail(
        rows + _rows([("conventional", 0.1 * n, 0.05 * n + 0.1, "AB") for n in range(4)])
    )
    assert complete is not None
    complete = complete.model_copy(update={"adjusted_difference": 0.1, "p": 0.01})
    itt = IntentionToTreat(
        n=10,
        imputed=2,
        arms=[],
        identical_to_complete_cases=False,
        ancova=complete.model_copy(update={"adjusted_difference": itt_difference, "p": itt_p}),
        ancova_undefined=None,
        statement="",
    )
    sentence = disagreement(complete, itt)
    assert (sentence is None) == (says is None)
    if says:
        assert sentence is not None and says in sentence
    assert (
        disagreement(complete, itt.model_copy(update={"identical_to_complete_cases": True})) is None
    )

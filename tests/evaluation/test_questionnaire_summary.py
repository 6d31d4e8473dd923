"""UMUX-Lite and mental effort per condition, through the real flow (issue 18 part 3)."""

from __future__ import annotations

import csv
import io
from statistics import mean, stdev

import pytest

from evaluation.analysis_questionnaire import umux_lite
from tests.evaluation.closed_study import PLAN, run_closed_study
from tests.evaluation.conftest import FakeClock, MakeClient, instructor_client

ANSWERS = [(7, 6, 3), (5, 5, 6), (2, 3, 8), (6, 7, 4), (4, 4, 5), (7, 7, 2), (3, 5, 7)]


def test_umux_lite_is_scored_0_to_100() -> None:
    assert umux_lite(1, 1) == 0 and umux_lite(7, 7) == 100
    assert umux_lite(4, 5) == pytest.approx(700 / 12)


def test_results_summarise_the_questionnaire_per_condition(
    make_client: MakeClient, database_url: str, clock: FakeClock
) -> None:
    client = make_client(database_url)
    admin = instructor_client(client, database_url)
    study = run_closed_study(client, admin, clock, questionnaire=ANSWERS)
    base = f"/api/instructor/studies/{study['id']}"
    results = admin.get(f"{base}/results").json()
    people = list(csv.DictReader(io.StringIO(admin.get(f"{base}/export/participants.csv").text)))
    assert len(people) == len(PLAN)
    by_condition = {row["condition"]: row for row in results["questionnaire"]}
    assert set(by_condition) == {"cnn101", "conventional"}
    for condition, summary in by_condition.items():
        answered = [p for p in people if p["condition"] == condition and p["umux_ease"]]
        assert summary["n"] == len(answered)
        scores = [umux_lite(int(p["umux_capabilities"]), int(p["umux_ease"])) for p in answered]
        efforts = [int(p["mental_effort"]) for p in answered]
        if scores:
            assert summary["umux_lite_mean"] == pytest.approx(mean(scores))
            assert summary["mental_effort_mean"] == pytest.approx(mean(efforts))
        if len(scores) > 1:
            assert summary["umux_lite_sd"] == pytest.approx(stdev(scores))
            assert summary["mental_effort_sd"] == pytest.approx(stdev(efforts))
    assert sum(row["n"] for row in results["questionnaire"]) == len(ANSWERS)

"""A closed study whose students scored as planned, for the results and report tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.evaluation.conftest import FakeClock
from tests.evaluation.helpers import answer_items, consent, create_open_study, finish, join, start

# (pre-test correct, post-test correct) of each student, out of 13.
SEED = 11  # draws 2, 3 and 5 students per arm for the first 4, 6 and 10 of PLAN
PLAN = [(2, 9), (5, 11), (3, 4), (7, 12), (1, 8), (4, 4), (6, 10), (0, 3), (8, 13), (2, 2)]


def run_closed_study(
    client: TestClient,
    admin: TestClient,
    clock: FakeClock,
    plan: list[tuple[int, int]] = PLAN,
    questionnaire: list[tuple[int, int, int]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Every student of ``plan`` takes the whole study (the first ``len(questionnaire)``
    answer the questionnaire: capabilities, ease, mental effort); then the instructor
    closes it."""
    # A fixed seed: the conditions drawn for ``plan`` are the same every run.
    study = create_open_study(admin, learning_seconds=60, assignment_seed=SEED, **fields)
    students = []
    for number, (pre, _) in enumerate(plan):
        headers = join(client, study["join_code"])
        consent(client, headers, prior_ml=number % 2 == 0)
        answer_items(client, headers, start(client, headers, "pre"), n_correct=pre)
        finish(client, headers, "pre")
        assert client.post("/api/student/assignment", headers=headers).status_code == 200
        start(client, headers, "learning")
        students.append(headers)
    clock.advance(60)
    for headers, (_, post) in zip(students, plan, strict=True):
        answer_items(client, headers, start(client, headers, "post"), n_correct=post)
        finish(client, headers, "post")
    for headers, (capabilities, ease, effort) in zip(students, questionnaire or [], strict=False):
        body = {"umux_capabilities": capabilities, "umux_ease": ease, "mental_effort": effort}
        answered = client.post("/api/student/questionnaire", json=body, headers=headers)
        assert answered.status_code == 204, answered.text
    closed = admin.post(f"/api/instructor/studies/{study['id']}/close")
    assert closed.status_code == 200, closed.text
    study["student_headers"] = students  # each student's bearer token, for later requests
    return study

"""The flow diagram's numbers: every stage, the exits, the withdrawals (issue 18 part 3)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.evaluation.conftest import FakeClock, MakeClient, instructor_client
from tests.evaluation.helpers import answer_items, consent, create_open_study, finish, join, start


def _pre_test_and_assign(client: TestClient, headers: dict[str, str]) -> str:
    answer_items(client, headers, start(client, headers, "pre"), n_correct=4)
    finish(client, headers, "pre")
    assigned = client.post("/api/student/assignment", headers=headers)
    assert assigned.status_code == 200, assigned.text
    condition: str = assigned.json()["condition"]
    return condition


def test_the_flow_counts_each_stage_and_places_each_withdrawal(
    make_client: MakeClient, database_url: str, clock: FakeClock
) -> None:
    client = make_client(database_url)
    admin = instructor_client(client, database_url)
    study = create_open_study(admin, learning_seconds=60, assignment_seed=11)
    code = study["join_code"]
    decline = join(client, code)
    assert (
        client.post(
            "/api/student/consent", json={"choice": "decline", "prior_ml": False}, headers=decline
        ).status_code
        == 204
    )
    quitter = join(client, code)  # consents, draws a form order, withdraws before the pre-test
    consent(client, quitter)
    start(client, quitter, "pre")
    assert client.delete("/api/student/me", headers=quitter).status_code == 204
    leaver = join(client, code)  # assigned, then withdraws
    consent(client, leaver)
    left_condition = _pre_test_and_assign(client, leaver)
    assert client.delete("/api/student/me", headers=leaver).status_code == 204
    no_post = join(client, code)  # assigned, never takes the post-test
    consent(client, no_post)
    missing_condition = _pre_test_and_assign(client, no_post)
    finishers = []
    for _ in range(4):
        headers = join(client, code)
        consent(client, headers)
        finishers.append((headers, _pre_test_and_assign(client, headers)))
        start(client, headers, "learning")
    clock.advance(60)
    for headers, _ in finishers:
        answer_items(client, headers, start(client, headers, "post"), n_correct=8)
        finish(client, headers, "post")
    assert admin.post(f"/api/instructor/studies/{study['id']}/close").status_code == 200

    flow = admin.get(f"/api/instructor/studies/{study['id']}/results").json()["flow"]
    assert flow["joined"] == 6  # the two who withdrew were deleted
    assert flow["consented"] == 5 and flow["declined"] == 1
    assert flow["pre_tested"] == 5
    assert flow["withdrawn_before_assignment"] == 1
    assert flow["assigned"] == 5
    arms = {arm["condition"]: arm for arm in flow["arms"]}
    finished = [condition for _, condition in finishers]
    for condition, arm in arms.items():
        assert arm["assigned"] == finished.count(condition) + (condition == missing_condition)
        assert arm["post_tested"] == finished.count(condition)
        assert arm["analysed"] == finished.count(condition)
        assert arm["withdrawn"] == int(condition == left_condition)
    report = admin.post(f"/api/instructor/studies/{study['id']}/report/build")
    assert report.status_code in (200, 202), report.text

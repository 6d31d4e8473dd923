"""A closed study's results never change: bank edits and late withdrawals leave them as
they were when it closed, byte for byte.

The measured fault: editing an item of the shared bank after a study closed rewrote its
scores, exports and statistics (cnn101 post mean .721 -> .670, pre items 13 -> 14), and a
withdrawal after closing was accepted and silently removed the student from the results.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.databases import FakeClock, PostgresDatabases
from tests.evaluation.closed_study import run_closed_study
from tests.evaluation.conftest import MakeClient, instructor_client


def _readings(admin: TestClient, study_id: int) -> dict[str, bytes]:
    base = f"/api/instructor/studies/{study_id}"
    paths = ["results", "plots"] + [
        f"export/{table}.{fmt}"
        for table in ("answers", "participants", "allocations")
        for fmt in ("csv", "json")
    ]
    readings = {}
    for path in paths:
        response = admin.get(f"{base}/{path}")
        assert response.status_code == 200, (path, response.text)
        readings[path] = response.content
    return readings


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(
    request: pytest.FixtureRequest, postgres: PostgresDatabases, tmp_path: Path
) -> str:
    """A database of the test's own: the item bank is shared by every study in one, and
    other tests' open studies would (rightly) block importing items."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'frozen.db'}"
    return postgres.create()


def test_bank_edits_and_late_withdrawals_leave_a_closed_study_as_it_was(
    make_client: MakeClient, own_database: str, clock: FakeClock
) -> None:
    client = make_client(own_database)
    admin = instructor_client(client, own_database)
    study = run_closed_study(client, admin, clock)
    before = _readings(admin, study["id"])
    sha = admin.get(f"/api/instructor/studies/{study['id']}/results").headers["x-results-sha256"]

    # A new item on each form (what changed the scores: the form had 14 items, so every
    # proportion moved); edits of used items would make new versions the study never sees.
    items = admin.get("/api/instructor/items").json()
    added = []
    for form in ("A", "B"):
        last = max(i["position"] for i in items if i["form"] == form)
        template = next(i for i in items if i["form"] == form)
        added.append(
            {k: v for k, v in template.items() if k != "id"}
            | {"key": f"{form}99", "position": last + 1, "stem": "A question added later?"}
        )
    imported = admin.post("/api/instructor/items/import", json=added)
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 2
    # A student of the study asks to withdraw after it closed: refused, and said why.
    refused = client.delete("/api/student/me", headers=study["student_headers"][0])
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "study_closed"
    assert _readings(admin, study["id"]) == before
    after = admin.get(f"/api/instructor/studies/{study['id']}/results")
    assert after.headers["x-results-sha256"] == sha

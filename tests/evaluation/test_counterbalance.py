"""Form order counterbalanced within each condition; every slot logged, withdrawals too.

The measured fault: AB/BA was balanced overall but not per condition (cnn101 AB 44 / BA 57,
conventional AB 56 / BA 43), so a harder form B confounded the comparison. Design 2 takes
each stratum's conditions from one sequence per form order (evaluation/assignment.py).
"""

from __future__ import annotations

import csv
import io
from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import select

from evaluation.models import Participant, Study
from tests.evaluation.conftest import db_session, instructor_client
from tests.evaluation.helpers import (
    check_design_2_allocation,
    consent,
    create_open_study,
    finish,
    join,
    start,
)

STUDENTS = 48


def _assigned(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    start(client, headers, "pre")
    finish(client, headers, "pre")  # nothing answered: everyone in the stratum low|ml_no
    response = client.post("/api/student/assignment", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def test_48_students_in_one_stratum_get_both_orders_in_each_condition(
    client: TestClient, database_url: str
) -> None:
    admin = instructor_client(client, database_url)
    study = create_open_study(admin)
    students = [join(client, study["join_code"]) for _ in range(STUDENTS)]
    for headers in students:
        consent(client, headers, prior_ml=False)
    assert {_assigned(client, h)["stratum"] for h in students} == {"low|ml_no"}

    with db_session(database_url) as session:
        stored = session.get_one(Study, study["id"])
        assert stored.design_version == 2
        participants = list(
            session.scalars(select(Participant).where(Participant.study_id == study["id"]))
        )
    cells = Counter((p.condition, p.form_order) for p in participants)
    for condition in ("cnn101", "conventional"):
        assert abs(cells[condition, "AB"] - cells[condition, "BA"]) <= 2, cells
    check_design_2_allocation(participants, stored.assignment_seed)

    # A student withdraws: their slots stay in the allocation log, naming nobody.
    withdrawn = client.delete("/api/student/me", headers=students[5])
    assert withdrawn.status_code == 204
    assert admin.post(f"/api/instructor/studies/{study['id']}/close").status_code == 200
    exported = admin.get(f"/api/instructor/studies/{study['id']}/export/allocations.csv")
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 2 * STUDENTS  # a form order and a condition for each, none lost
    by_sequence: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        by_sequence.setdefault((row["kind"], row["sequence"]), []).append(int(row["slot"]))
    for slots in by_sequence.values():
        assert sorted(slots) == list(range(len(slots)))  # no gaps
    gone = [row for row in rows if row["withdrawn_at"]]
    assert len(gone) == 2 and all(row["participant"] == "" for row in gone)
    assert sum(1 for row in rows if row["participant"]) == 2 * (STUDENTS - 1)
    codebook = admin.get(f"/api/instructor/studies/{study['id']}/export/codebook").json()
    assert set(codebook["allocations"]) == set(rows[0])

"""The allocation's arms: given ahead to PostgreSQL's one statement, or looked up after.

On PostgreSQL one statement takes the slot, logs it and writes the participant, with the arm
looked up among the arms of the next ``ARMS_AHEAD`` slots (evaluation/assignment.py). A slot
past them (more allocations of the sequence in flight than that) is looked up after the
statement; either way the participants and the log hold exactly the seed's sequences.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evaluation import assignment
from evaluation.assignment import arms_of_slots, block_sequence
from evaluation.models import CONDITIONS, FORM_ORDERS, AllocationLog, Participant, Study
from tests.evaluation.conftest import db_session, instructor_client
from tests.evaluation.helpers import (
    answer_items,
    check_design_2_allocation,
    consent,
    create_open_study,
    finish,
    join,
    start,
)

STUDENTS = 6


@pytest.mark.parametrize(("first", "count"), [(0, 1), (0, 64), (250, 12), (255, 2), (700, 64)])
def test_the_arms_of_slots_are_the_seeds_sequence(first: int, count: int) -> None:
    for kind, sequence, arms in (
        ("form_order", "ml_no", FORM_ORDERS),
        ("condition", "mid|ml_yes|AB", CONDITIONS),
    ):
        whole = block_sequence(20200425, kind, sequence, arms, first + count)
        assert (
            arms_of_slots(20200425, kind, sequence, arms, first=first, count=count) == whole[first:]
        )


@pytest.mark.parametrize("ahead", [assignment.ARMS_AHEAD, 0])
def test_every_slot_gets_the_seeds_arm_with_or_without_the_arms_ahead(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch, ahead: int
) -> None:
    """``ahead`` 0: no arm is given to the statement, so every slot takes the path of a
    slot past the arms given (on SQLite, the only path there is)."""
    monkeypatch.setattr(assignment, "ARMS_AHEAD", ahead)
    admin = instructor_client(client, database_url)
    study = create_open_study(admin)
    for number in range(STUDENTS):
        headers = join(client, study["join_code"])
        consent(client, headers, prior_ml=number % 2 == 0)
        answer_items(client, headers, start(client, headers, "pre"), n_correct=3)
        finish(client, headers, "pre")
        assigned = client.post("/api/student/assignment", headers=headers)
        assert assigned.status_code == 200, assigned.text
    with db_session(database_url) as session:
        seed = session.get_one(Study, study["id"]).assignment_seed
        participants = list(
            session.scalars(select(Participant).where(Participant.study_id == study["id"]))
        )
        log = list(
            session.scalars(select(AllocationLog).where(AllocationLog.study_id == study["id"]))
        )
    assert len(participants) == STUDENTS and all(p.condition for p in participants)
    check_design_2_allocation(participants, seed)
    logged = {(entry.participant_id, entry.kind): (entry.slot, entry.arm) for entry in log}
    assert len(log) == 2 * STUDENTS
    for p in participants:
        assert logged[p.id, "form_order"] == (p.form_slot, p.form_order)
        assert logged[p.id, "condition"] == (p.condition_slot, p.condition)

"""A class's hottest requests make as few database round trips as they need.

At a class's pre-test peak every answer's statements are the study service's main cost
(docs/sizing.md, a py-spy profile: each of an answer's queries was about a sixth of its
CPU). An answer reads the participant with its study and its phase attempt in one
statement, inserts and commits; the study's items are read once per process (a study's item
set is fixed when it opens), and nothing else is asked again.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text

from services.database.engine import make_engine
from tests.evaluation.conftest import instructor_client
from tests.evaluation.helpers import (
    answer,
    answer_items,
    consent,
    create_open_study,
    finish,
    join,
    start,
    state,
)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine sends, in order."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    yield sent
    event.remove(Engine, "before_cursor_execute", record)


def test_an_answer_reads_what_it_checks_once(
    client: TestClient, database_url: str, statements: list[str]
) -> None:
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin)["join_code"])
    consent(client, headers)
    items = start(client, headers, "pre")["items"]
    assert answer(client, headers, "pre", items[0]["id"]).status_code == 200
    statements.clear()
    assert answer(client, headers, "pre", items[1]["id"]).status_code == 200
    # On SQLite an answer is one of a group and goes in under its own savepoint
    # (evaluation/write_groups.py): statements inside the process, no round trips.
    sent = [
        s.split(" WHERE")[0]
        for s in statements
        if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    assert len(sent) == 2, statements
    # One statement reads the participant, their study and the phase's attempt; one stores.
    assert (
        sent[0].startswith("SELECT")
        and (
            "FROM participant JOIN study ON study.id = participant.study_id"
            " LEFT OUTER JOIN phase_attempt ON phase_attempt.participant_id = participant.id"
            " AND phase_attempt.phase = "
        )
        in sent[0]
    ), sent[0]
    assert sent[1].startswith("INSERT INTO answer")
    # The form was read once, with the first answer; the second answer's item is checked
    # (and scored) from it: an item not on the form is still refused.
    response = answer(client, headers, "pre", max(item["id"] for item in items) + 1000)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "unknown_item")


def test_a_quiz_shows_its_form_read_once(
    client: TestClient, database_url: str, statements: list[str]
) -> None:
    """The items a quiz shows come from the form read with its start: the page's reload
    (the student's state) and a restart of the phase show the same items unread."""
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin)["join_code"])
    consent(client, headers)
    shown = start(client, headers, "pre")["items"]
    assert any(" FROM item " in s for s in statements)  # read with the first start
    statements.clear()
    assert state(client, headers)["phase"]["items"] == shown
    assert start(client, headers, "pre")["items"] == shown
    assert not [s for s in statements if " FROM item " in s], statements
    assert [item["position"] for item in shown] == sorted(item["position"] for item in shown)


def test_an_assignment_takes_its_slot_in_one_statement_and_reads_nothing_after(
    client: TestClient, database_url: str, statements: list[str]
) -> None:
    """A class's assignments all come as its pre-test ends: the step and the pre-test's score
    are read first, in one statement (the form's size is in memory); the study is held in
    share mode (other allocations go on), the participant's row is locked (a double press
    allocates once), and from the moment the sequence's counter is taken (its row locked
    until commit) only writes follow."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no row lock (every transaction holds the database's)")
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin)["join_code"])
    consent(client, headers)
    answer_items(client, headers, start(client, headers, "pre"), n_correct=3)
    finish(client, headers, "pre")
    statements.clear()
    response = client.post("/api/student/assignment", headers=headers)
    assert response.status_code == 200, response.text
    shared = next(i for i, s in enumerate(statements) if s.endswith("FOR SHARE"))
    assert "FROM study" in statements[shared]
    assert not [s for s in statements if " FROM study" in s and s.endswith("FOR UPDATE")]
    # Before it, two reads: the token's participant with the study, then the attempts (the
    # step) with the pre-test's score in the same statement.
    assert len(statements[:shared]) == 2, statements[:shared]
    assert " FROM phase_attempt" in statements[1] and " FROM answer" in statements[1]
    # The counter's row stays locked from the statement that takes the slot to the commit,
    # so that statement also logs the slot and writes the participant: the next allocation
    # of the sequence waits for one round trip, not three.
    taken = next(i for i, s in enumerate(statements) if "INSERT INTO allocation_counter" in s)
    assert "ON CONFLICT" in statements[taken], statements[taken]
    assert "INSERT INTO allocation_log" in statements[taken], statements[taken]
    assert "UPDATE participant SET" in statements[taken], statements[taken]
    assert statements[taken + 1 :] == [], statements[taken + 1 :]


def test_a_consent_writes_the_participant_once(
    client: TestClient, database_url: str, statements: list[str]
) -> None:
    """The whole class consents within its first minute: the choice and the form order it
    allocates go into the participant's row in one UPDATE, after the slot is taken."""
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin)["join_code"])
    statements.clear()
    consent(client, headers)
    updates = [i for i, s in enumerate(statements) if "UPDATE participant SET" in s]
    assert len(updates) == 1, statements
    for column in ("consent=", "prior_ml=", "form_order=", "form_slot="):
        assert column in statements[updates[0]].replace(" = ", "="), statements[updates[0]]
    taken = next(i for i, s in enumerate(statements) if "INSERT INTO allocation_counter" in s)
    assert taken <= updates[0]
    if database_url.startswith("postgresql"):  # with the slot, in the statement that takes it
        assert taken == updates[0] and statements[taken + 1 :] == [], statements[taken:]
    assert state(client, headers)["step"] == "pre_test"


def test_allocations_of_a_class_do_not_wait_for_each_other(
    client: TestClient, database_url: str
) -> None:
    """While another allocation of the study is in progress (the study held in share mode,
    its sequence's counter locked), a student of another sequence is allocated at once."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no row lock (every transaction holds the database's)")
    admin = instructor_client(client, database_url)
    study = create_open_study(admin)
    consent(client, join(client, study["join_code"]), prior_ml=True)  # its ml_yes counter
    headers = join(client, study["join_code"])
    engine = make_engine(database_url)
    with engine.connect() as other, ThreadPoolExecutor(1) as pool:
        held = {"id": study["id"]}
        other.execute(text("SELECT id FROM study WHERE id = :id FOR SHARE"), held)
        counter = "SELECT * FROM allocation_counter WHERE study_id = :id FOR UPDATE"
        assert len(other.execute(text(counter), held).all()) == 1
        pending = pool.submit(consent, client, headers, prior_ml=False)
        try:
            pending.result(timeout=10)
        finally:
            other.rollback()
    engine.dispose()


def test_a_start_and_an_assignment_read_the_attempts_once_and_not_the_questionnaire(
    client: TestClient, database_url: str, statements: list[str]
) -> None:
    """Both come from the whole class at once; the step they need stops before the
    questionnaire (the phase is not started; the condition is not given)."""
    admin = instructor_client(client, database_url)
    headers = join(client, create_open_study(admin)["join_code"])
    consent(client, headers)
    statements.clear()
    view = start(client, headers, "pre")
    started = [s for s in statements if s.startswith("SELECT")]
    answer_items(client, headers, view, n_correct=3)
    finish(client, headers, "pre")
    statements.clear()
    assert client.post("/api/student/assignment", headers=headers).status_code == 200
    assigned = [s for s in statements if s.startswith("SELECT")]
    for reads in (started, assigned):
        assert not [s for s in reads if " FROM questionnaire_response" in s], reads
        assert len([s for s in reads if " FROM phase_attempt" in s]) == 1, reads

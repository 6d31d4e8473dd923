"""Issue 18, part 1: items have owners and versions; a study keeps the versions it opened with.

The measured fault: the bank was shared and ownerless, and an open study read it live, so
another instructor's new item or the owner's edit of a used item changed the forms students
were taking and the study's scores. Now opening a study snapshots the exact item versions;
an edit of a used item makes version n + 1 for new studies; only the owner (or the admin)
may change an item, built-in items nobody.

Each test has its own PostgreSQL database: the bank is shared by every study in one.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from evaluation.analysis import analyse
from evaluation.export import answer_rows, participant_rows
from evaluation.items.bank import DEFAULT_ITEMS
from evaluation.items.snapshot import study_items
from tests.databases import FakeClock, PostgresDatabases, db_session
from tests.evaluation.conftest import MakeClient, instructor_client
from tests.evaluation.helpers import (
    answer_items,
    consent,
    create_open_study,
    finish,
    join,
    start,
    state,
)

PLAN = [(2, 9), (5, 11), (3, 4), (7, 12)]  # (pre, post) correct answers of each student

# Built-in items a form has; own items in these tests go after them (positions 24-26).
PER_FORM = len(DEFAULT_ITEMS) // 2


def _own_item(key: str, form: str, position: int, stem: str) -> dict[str, Any]:
    return {
        "key": key,
        "form": form,
        "position": position,
        "concept": "relu",
        "stem": stem,
        "options": ["0", "3", "-3", "9"],
        "correct_index": 0,  # what tests/evaluation/helpers.py answers for imported items
        "explanation": "ReLU keeps positive values and sets negative ones to 0.",
    }


def _bank(teacher: TestClient) -> dict[str, dict[str, Any]]:
    listing = teacher.get("/api/instructor/items")
    assert listing.status_code == 200, listing.text
    return {item["key"]: item for item in listing.json()}


def _editable(item: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What the page sends back: the listing's item without its id (read-only fields kept)."""
    return {key: value for key, value in item.items() if key != "id"} | changes


def _run_students(
    client: TestClient, study: dict[str, Any], clock: FakeClock
) -> list[dict[str, str]]:
    """Every student of PLAN takes the whole study; it stays open."""
    students = []
    for number, (pre, _) in enumerate(PLAN):
        headers = join(client, study["join_code"])
        consent(client, headers, prior_ml=number % 2 == 0)
        answer_items(client, headers, start(client, headers, "pre"), n_correct=pre)
        finish(client, headers, "pre")
        assert client.post("/api/student/assignment", headers=headers).status_code == 200
        start(client, headers, "learning")
        students.append(headers)
    clock.advance(study["learning_seconds"])
    for headers, (_, post) in zip(students, PLAN, strict=True):
        answer_items(client, headers, start(client, headers, "post"), n_correct=post)
        finish(client, headers, "post")
    return students


def _study_readings(
    client: TestClient, url: str, study_id: int, students: list[dict[str, str]]
) -> dict[str, Any]:
    """Everything that shows or scores the open study: student pages, results, exports."""
    readings: dict[str, Any] = {}
    for number, headers in enumerate(students):
        readings[f"state {number}"] = client.get("/api/student/state", headers=headers).content
        readings[f"outcome {number}"] = client.get("/api/student/outcome", headers=headers).content
    with db_session(url) as session:
        readings["results"] = analyse(session, study_id).model_dump_json()
        readings["answers"] = answer_rows(session, study_id)
        # The study's snapshot holds OWN01's version 1 throughout, edits or not.
        _answers_name_version(readings["answers"], "OWN01", 1)
        readings["participants"] = participant_rows(session, study_id)
        readings["form A"] = [item.id for item in study_items(session, study_id, "A")]
    return readings


def _answers_name_version(answers: list[dict[str, Any]], key: str, version: int) -> None:
    """The answers export names each answer's item version beside its key."""
    rows = [row for row in answers if row["item_key"] == key]
    assert rows and {row["item_version"] for row in rows} == {version}


def _others_are_refused(
    admin: TestClient, other: TestClient, v1: dict[str, Any], owner_email: str
) -> None:
    """Another instructor cannot edit or retire the owner's item; nobody a built-in one."""
    # Another instructor cannot edit the owner's item: 403, said why, nothing changed.
    refused = other.put(f"/api/instructor/items/{v1['id']}", json=_editable(v1, stem="Mine now"))
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "item_not_yours"
    assert f"owned by {owner_email}" in refused.json()["error"]["message"]
    assert _bank(other)["OWN01"]["locked"] == (
        f"owned by {owner_email}: only its owner or the admin may change it"
    )
    retire_refused = other.delete(f"/api/instructor/items/{v1['id']}")
    assert retire_refused.status_code == 403
    # Built-in items are read-only for everyone, the admin too.
    a01 = _bank(admin)["A01"]
    built_in = admin.put(f"/api/instructor/items/{a01['id']}", json=_editable(a01, stem="No"))
    assert built_in.status_code == 409 and "built-in" in built_in.json()["error"]["message"]
    assert built_in.json()["error"]["code"] == "item_built_in"


def _late_student_takes_the_snapshot(
    client: TestClient,
    url: str,
    study: dict[str, Any],
    v1: dict[str, Any],
    bank: dict[str, dict[str, Any]],
) -> None:
    """A student joining after the edits gets the study's versions, not the bank's."""
    late = join(client, study["join_code"])
    consent(client, late)
    late_view = start(client, late, "pre")
    form = "A" if late_view["form"] == "A" else "B"
    with db_session(url) as session:
        expected = [item.id for item in study_items(session, study["id"], form)]
    assert [item["id"] for item in late_view["items"]] == expected
    if form == "A":
        stems = {item["id"]: item["stem"] for item in state(client, late)["phase"]["items"]}
        assert stems[v1["id"]] == "What is ReLU(-3)?"
    # An item of the bank that is not in the study's snapshot cannot be answered in it.
    outsider = bank["OTHER15" if form == "A" else "OTHER14"]["id"]
    refused_answer = client.post(
        "/api/student/answers",
        json={
            "submission_id": "late-outsider",
            "phase": "pre",
            "item_id": outsider,
            "choice_index": 0,
        },
        headers=late,
    )
    assert refused_answer.status_code == 422
    assert refused_answer.json()["error"]["code"] == "unknown_item"


def test_an_open_study_keeps_its_items_while_the_bank_changes(
    make_client: MakeClient, postgres: PostgresDatabases, clock: FakeClock
) -> None:
    url = postgres.create()
    client = make_client(url)
    admin = instructor_client(client, url)  # the first instructor: the admin
    owner = instructor_client(client, url)
    other = instructor_client(client, url)
    owner_email = owner.get("/api/instructor/me").json()["email"]

    imported = owner.post(
        "/api/instructor/items/import",
        json={"items": [_own_item("OWN01", "A", 24, "What is ReLU(-3)?")]},
    )
    assert imported.status_code == 200 and imported.json() == {"created": 1, "updated": 0}
    bank = _bank(owner)
    v1 = bank["OWN01"]
    assert (v1["version"], v1["owner"], v1["locked"], v1["in_use"]) == (1, owner_email, None, False)
    assert bank["A01"]["owner"] is None and bank["A01"]["owner_id"] is None
    assert bank["A01"]["locked"].startswith("built-in item: read-only")

    study = create_open_study(owner, learning_seconds=60, assignment_seed=11)
    students = _run_students(client, study, clock)
    before = _study_readings(client, url, study["id"], students)
    assert v1["id"] in before["form A"] and len(before["form A"]) == PER_FORM + 1
    assert _bank(owner)["OWN01"]["in_use"] is True

    # Another instructor adds items on both forms while the study is open.
    added = other.post(
        "/api/instructor/items/import",
        json={
            "items": [
                _own_item("OTHER15", "A", 25, "What is ReLU(3)?"),
                _own_item("OTHER14", "B", 24, "What is ReLU(-9)?"),
            ]
        },
    )
    assert added.status_code == 200, added.text
    assert added.json() == {"created": 2, "updated": 0}
    _others_are_refused(admin, other, v1, owner_email)

    # The owner edits the item the study used: version 2, a new row, in the bank.
    edited = owner.put(
        f"/api/instructor/items/{v1['id']}", json=_editable(v1, stem="What is ReLU(-4)?")
    )
    assert edited.status_code == 200, edited.text
    v2 = edited.json()
    assert v2["id"] != v1["id"] and (v2["key"], v2["version"]) == ("OWN01", 2)
    assert v2["owner"] == owner_email and v2["stem"] == "What is ReLU(-4)?"
    bank = _bank(owner)
    assert bank["OWN01"]["id"] == v2["id"] and bank["OWN01"]["version"] == 2
    assert v1["id"] not in {item["id"] for item in bank.values()}
    # An edit of an old version, or one that renames the lineage, is refused.
    stale = owner.put(f"/api/instructor/items/{v1['id']}", json=_editable(v1, stem="Stale"))
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "item_superseded"
    renamed = owner.put(f"/api/instructor/items/{v2['id']}", json=_editable(v2, key="OWN99"))
    assert renamed.status_code == 422 and _bank(owner)["OWN01"]["id"] == v2["id"]

    # The open study is as it was: student pages, results, exports, byte for byte.
    assert _study_readings(client, url, study["id"], students) == before
    _late_student_takes_the_snapshot(client, url, study, v1, bank)

    # A study opened now gets version 2 and the other instructor's new items.
    second = create_open_study(owner, learning_seconds=60)
    with db_session(url) as session:
        first_a = [item.id for item in study_items(session, study["id"], "A")]
        second_a = [item.id for item in study_items(session, second["id"], "A")]
        second_b = study_items(session, second["id"], "B")
    assert v2["id"] in second_a and v1["id"] not in second_a
    assert (
        bank["OTHER15"]["id"] in second_a
        and len(second_a) == PER_FORM + 2
        and len(second_b) == PER_FORM + 1
    )
    assert first_a == before["form A"]

    # Closing freezes the study's own items: none of the bank's later additions.
    closed = owner.post(f"/api/instructor/studies/{study['id']}/close")
    assert closed.status_code == 200, closed.text
    results = owner.get(f"/api/instructor/studies/{study['id']}/results")
    assert results.status_code == 200
    keys = {row["item_key"] for row in results.json()["items"] if row["form"] == "A"}
    assert "OWN01" in keys and "OTHER15" not in keys and len(keys) == PER_FORM + 1


def test_edits_in_place_versions_retiring_and_the_admin(
    make_client: MakeClient, postgres: PostgresDatabases
) -> None:
    url = postgres.create()
    client = make_client(url)
    admin = instructor_client(client, url)
    owner = instructor_client(client, url)
    own = [_own_item("MINE14", "A", 24, "What is ReLU(-1)?")]
    own.append(_own_item("MINE15", "A", 25, "What is ReLU(-2)?"))
    assert owner.post("/api/instructor/items/import", json={"items": own}).status_code == 200
    bank = _bank(owner)

    # Unused and one's own: changed in place (same row, still version 1).
    mine = bank["MINE14"]
    in_place = owner.put(
        f"/api/instructor/items/{mine['id']}", json=_editable(mine, stem="What is ReLU(-5)?")
    )
    assert in_place.status_code == 200, in_place.text
    assert (in_place.json()["id"], in_place.json()["version"]) == (mine["id"], 1)
    # Sending back what was read, unchanged, changes nothing (even a built-in item).
    a01 = bank["A01"]
    same = owner.put(f"/api/instructor/items/{a01['id']}", json=_editable(a01))
    assert same.status_code == 200 and same.json()["version"] == 1
    # A position another current item holds: 409, nothing changed.
    taken = owner.put(f"/api/instructor/items/{mine['id']}", json=_editable(mine, position=1))
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "position_taken"
    assert _bank(owner)["MINE14"]["position"] == 24

    study = create_open_study(owner)
    # Retiring: the bank no longer offers it, the open study keeps it.
    retired = owner.delete(f"/api/instructor/items/{bank['MINE15']['id']}")
    assert retired.status_code == 204
    assert "MINE15" not in _bank(owner)
    with db_session(url) as session:
        assert bank["MINE15"]["id"] in [i.id for i in study_items(session, study["id"], "A")]
    # The admin may edit another instructor's item; it was used, so it becomes version 2.
    used = _bank(admin)["MINE14"]
    assert used["locked"] is None and used["in_use"] is True
    by_admin = admin.put(f"/api/instructor/items/{used['id']}", json=_editable(used, stem="Admin?"))
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["version"] == 2 and by_admin.json()["owner_id"] == used["owner_id"]
    # An import is an edit too; version 2 is used by no study yet, so it changes in place.
    exported = owner.get("/api/instructor/items/export.json").json()["items"]
    assert all("version" not in item and "owner" not in item for item in exported)
    changed = next(item for item in exported if item["key"] == "MINE14") | {"stem": "Third?"}
    response = owner.post("/api/instructor/items/import", json={"items": [changed]})
    assert response.json() == {"created": 0, "updated": 1}
    after = _bank(owner)["MINE14"]
    assert (after["version"], after["stem"], after["id"]) == (2, "Third?", by_admin.json()["id"])
    # A built-in item in an import is refused whole: nothing of the import is kept.
    a01_changed = next(item for item in exported if item["key"] == "A01") | {"stem": "Changed"}
    new_one = _own_item("MINE16", "A", 26, "What is ReLU(-6)?")
    refused = owner.post("/api/instructor/items/import", json={"items": [new_one, a01_changed]})
    assert refused.status_code == 409, refused.text
    assert "MINE16" not in _bank(owner)
    # A retired item imported again comes back as its next version.
    back = next(item for item in own if item["key"] == "MINE15")
    returned = owner.post("/api/instructor/items/import", json={"items": [back]})
    assert returned.json() == {"created": 0, "updated": 1}
    assert _bank(owner)["MINE15"]["version"] == 2
    assert client.delete(f"/api/instructor/items/{a01['id']}").status_code == 401
    assert owner.delete(f"/api/instructor/items/{a01['id']}").status_code == 409
    assert owner.delete("/api/instructor/items/999999").status_code == 404
    assert len(DEFAULT_ITEMS) == 2 * PER_FORM

"""Issue 18, part 4: opening a study writes its pre-registration, which nothing changes and
the results and the report cite.

The document (design, the snapshot's exact item versions, the analysis plan, the power
plan, software, time) is written once, when the study opens, as canonical JSON with its
SHA-256; the route serves it byte for byte. Bank edits, answers and closing leave it as it
was; a draft has none; another instructor cannot see it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from evaluation.items.snapshot import study_items_by_form
from evaluation.migrations import alembic_config, upgrade_database
from evaluation.models import StudyPreregistration
from evaluation.power import plan
from evaluation.preregistration import canonical
from evaluation.report import build_report
from services.database.engine import make_engine
from tests.databases import FakeClock, PostgresDatabases, db_session
from tests.evaluation.closed_study import PLAN, SEED
from tests.evaluation.conftest import MakeClient, instructor_client
from tests.evaluation.helpers import ITEMS_PER_FORM, answer_items, consent, finish, join, start

STUDY = {
    "title": "Pre-registered study",
    "consent_text": "You may take part; your answers are stored pseudonymously.",
    "learning_seconds": 60,
    "pre_test_seconds": 300,
    "post_test_seconds": 300,
}


def _url(study_id: int) -> str:
    return f"/api/instructor/studies/{study_id}/preregistration.json"


def _own_item(key: str, form: str, position: int, stem: str) -> dict[str, Any]:
    return {
        "key": key,
        "form": form,
        "position": position,
        "concept": "relu",
        "stem": stem,
        "options": ["0", "3", "-3", "9"],
        "correct_index": 0,
        "explanation": "ReLU keeps positive values and sets negative ones to 0.",
    }


def _download(teacher: TestClient, study_id: int) -> bytes:
    response = teacher.get(_url(study_id))
    assert response.status_code == 200, response.text
    digest = hashlib.sha256(response.content).hexdigest()
    assert response.headers["etag"] == f'"{digest}"'
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="study-{study_id}-preregistration.json"'
    )
    content: bytes = response.content
    return content


def _run_students(client: TestClient, code: str, clock: FakeClock) -> None:
    """Four students take the whole study; it stays open."""
    students = []
    for number, (pre, _) in enumerate(PLAN[:4]):
        headers = join(client, code)
        consent(client, headers, prior_ml=number % 2 == 0)
        answer_items(client, headers, start(client, headers, "pre"), n_correct=pre)
        finish(client, headers, "pre")
        assert client.post("/api/student/assignment", headers=headers).status_code == 200
        start(client, headers, "learning")
        students.append(headers)
    clock.advance(60)
    for headers, (_, post) in zip(students, PLAN[:4], strict=True):
        answer_items(client, headers, start(client, headers, "post"), n_correct=post)
        finish(client, headers, "post")


def _check_document(content: bytes, expected_items: list[tuple[Any, ...]]) -> None:
    """The snapshot's exact item versions, the design, the plans, software and time."""
    document = json.loads(content)
    assert canonical(document).encode() == content  # canonical: sorted keys, no spaces
    listed = [
        (i["key"], i["version"], i["item_id"], i["form"], i["position"], i["stem"], i["options"])
        for i in document["items"]
    ]
    assert listed == expected_items and len(listed) == 2 * ITEMS_PER_FORM + 1
    assert ("OWN01", 1) in {(i["key"], i["version"]) for i in document["items"]}
    assert all("correct_index" in item for item in document["items"])
    design = document["design"]
    assert design["assignment_seed"] == SEED and design["conditions"] == ["cnn101", "conventional"]
    assert design["allocation"]["block_sizes"] == [2, 4]
    assert design["time_limits_seconds"] == {"pre_test": 300, "learning": 60, "post_test": 300}
    primary = document["analysis_plan"]["primary"]
    assert "post ~ condition + pre + form_order" in primary["model"]
    assert document["analysis_plan"]["alpha"] == 0.05
    assert document["analysis_plan"]["sides"] == "two-sided"
    power = document["power_plan"]
    assert power["expected_students"] == 30 and power["expected_students_source"] == "instructor"
    assert power["minimum_detectable_effect"] == plan(30).minimum_detectable_effect
    assert document["registered_at"] == document["study"]["opened_at"]
    assert document["software"]["cnn101"] and document["software"]["scipy"]


def _stored(url: str, study_id: int) -> tuple[str, str, list[tuple[Any, ...]]]:
    """The one stored row's content and hash, and the study's snapshot as listed."""
    with db_session(url) as session:
        rows = session.scalar(
            select(func.count())
            .select_from(StudyPreregistration)
            .where(StudyPreregistration.study_id == study_id)
        )
        row = session.get(StudyPreregistration, study_id)
        assert rows == 1 and row is not None
        snapshot = study_items_by_form(session, study_id)
        items = [
            (item.key, item.version, item.id, form, item.position, item.stem, item.options)
            for form, form_items in snapshot.items()
            for item in form_items
        ]
        return row.content, row.sha256, items


def _change_the_bank(owner: TestClient, other: TestClient) -> None:
    """Another instructor adds an item; the owner edits a used one (its version 2)."""
    added = other.post(
        "/api/instructor/items/import",
        json={"items": [_own_item("OTHER15", "A", 25, "What is ReLU(3)?")]},
    )
    assert added.status_code == 200, added.text
    v1 = {i["key"]: i for i in owner.get("/api/instructor/items").json()}["OWN01"]
    edit = {key: value for key, value in v1.items() if key != "id"} | {"stem": "ReLU(-4)?"}
    edited = owner.put(f"/api/instructor/items/{v1['id']}", json=edit)
    assert edited.status_code == 200 and edited.json()["version"] == 2, edited.text


def _check_citation(url: str, owner: TestClient, study: dict[str, Any], sha: str) -> None:
    """The results and the report cite the pre-registration by its hash."""
    results = owner.get(f"/api/instructor/studies/{study['id']}/results").json()
    cited = results["preregistration"]
    assert cited["sha256"] == sha and cited["follows_plan"] is True
    assert f"SHA-256 {sha}" in cited["statement"]
    assert cited["statement"].startswith(
        f"Pre-registered when the study opened on {study['opened_at'][:10]} "
    )
    with db_session(url) as session:
        html = build_report(session, study["id"])
    assert f"SHA-256 {sha}" in html
    methods = html.split("<h2>Methods</h2>")[1].split("<h2>")[0]
    assert "Pre-registration: Pre-registered when the study opened on" in methods
    assert "Exploratory: correctness per concept is not in the pre-registered plan" in html
    assert "<strong>Primary analysis (ANCOVA)</strong>" in html


def test_opening_writes_one_preregistration_that_nothing_changes(
    make_client: MakeClient, postgres: PostgresDatabases, clock: FakeClock
) -> None:
    url = postgres.create()  # its own database: the test edits the shared item bank
    client = make_client(url)
    instructor_client(client, url)  # the first instructor is the admin: not the owner here
    owner = instructor_client(client, url)
    other = instructor_client(client, url)
    imported = owner.post(
        "/api/instructor/items/import",
        json={"items": [_own_item("OWN01", "A", 24, "What is ReLU(-3)?")]},
    )
    assert imported.status_code == 200, imported.text
    created = owner.post(
        "/api/instructor/studies",
        json={**STUDY, "assignment_seed": SEED, "expected_students": 30},
    )
    assert created.status_code == 201, created.text
    draft = created.json()
    assert draft["expected_students"] == 30 and draft["preregistration_sha256"] is None
    # A draft has no pre-registration yet: 404 that says so.
    refused = owner.get(_url(draft["id"]))
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "no_preregistration"
    assert "draft" in refused.json()["error"]["message"]

    opened = owner.post(f"/api/instructor/studies/{draft['id']}/open")
    assert opened.status_code == 200, opened.text
    study = opened.json()
    content = _download(owner, study["id"])
    sha = hashlib.sha256(content).hexdigest()
    assert study["preregistration_sha256"] == sha
    stored, stored_sha, snapshot = _stored(url, study["id"])
    assert stored.encode() == content and stored_sha == sha
    _check_document(content, snapshot)
    # Another instructor: no such study; nobody signed in: 401.
    assert other.get(_url(study["id"])).status_code == 404
    assert TestClient(client.app).get(_url(study["id"])).status_code == 401

    # Bank edits, answers and closing leave it byte for byte as it was.
    _change_the_bank(owner, other)
    assert _download(owner, study["id"]) == content
    _run_students(client, study["join_code"], clock)
    assert _download(owner, study["id"]) == content
    closed = owner.post(f"/api/instructor/studies/{study['id']}/close")
    assert closed.status_code == 200 and closed.json()["preregistration_sha256"] == sha
    assert _download(owner, study["id"]) == content
    assert _stored(url, study["id"])[:2] == (stored, sha)
    _check_citation(url, owner, study, sha)


def test_expected_students_default_edit_and_refusals(client: TestClient, database_url: str) -> None:
    owner = instructor_client(client, database_url)
    created = owner.post("/api/instructor/studies", json=STUDY)
    assert created.status_code == 201, created.text
    study = created.json()
    assert study["expected_students"] is None
    base = f"/api/instructor/studies/{study['id']}"
    for bad in (5, 10_001, "forty", 2.5):
        refused = owner.patch(base, json={"expected_students": bad})
        assert refused.status_code == 422, (bad, refused.text)
        refused = owner.post("/api/instructor/studies", json={**STUDY, "expected_students": bad})
        assert refused.status_code == 422, (bad, refused.text)
    assert owner.get(base).json()["expected_students"] is None  # nothing changed
    edited = owner.patch(base, json={"expected_students": 64})
    assert edited.status_code == 200 and edited.json()["expected_students"] == 64
    assert owner.post(f"{base}/open").status_code == 200
    power = json.loads(_download(owner, study["id"]))["power_plan"]
    assert power["expected_students"] == 64 and power["arms"] == [32, 32]
    # Once open, the plan is fixed: the class size cannot be edited any more.
    late = owner.patch(base, json={"expected_students": 80})
    assert late.status_code == 409

    # Absent: the plan assumes 40 and says so.
    default = owner.post("/api/instructor/studies", json=STUDY).json()
    assert owner.post(f"/api/instructor/studies/{default['id']}/open").status_code == 200
    power = json.loads(_download(owner, default["id"]))["power_plan"]
    assert power["expected_students"] == 40
    assert power["expected_students_source"] == "default (40)"
    assert power["summary"] == plan(40).summary


def test_migration_0010_round_trip(postgres: PostgresDatabases) -> None:
    engine = make_engine(postgres.create())
    try:
        upgrade_database(engine)
        inspector = inspect(engine)
        assert "study_preregistration" in inspector.get_table_names()
        assert "expected_students" in {c["name"] for c in inspector.get_columns("study")}
        command.downgrade(alembic_config(engine), "0009")
        inspector = inspect(engine)
        assert "study_preregistration" not in inspector.get_table_names()
        assert "expected_students" not in {c["name"] for c in inspector.get_columns("study")}
        upgrade_database(engine)
        inspector = inspect(engine)
        assert "study_preregistration" in inspector.get_table_names()
        assert "expected_students" in {c["name"] for c in inspector.get_columns("study")}
    finally:
        engine.dispose()

"""Several sections of one course in one study: the instructor names them, each student
picks theirs, and each section is balanced on its own (its section is part of the stratum).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evaluation.assignment import block_sequence
from evaluation.models import CONDITIONS, FORM_ORDERS, Participant, Study
from tests.evaluation.conftest import db_session, instructor_client
from tests.evaluation.helpers import create_open_study, finish, join, start, state

SECTIONS = ["Mon 9:00", "Tue 14:00"]
PER_SECTION = 48
BODY = {"title": "Sections", "consent_text": "You may take part."}


def _consent(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post(
        "/api/student/consent",
        json={"choice": "participate", "prior_ml": False, **body},
        headers=headers,
    )


@pytest.mark.parametrize(
    ("sections", "why"),
    [
        ([f"S{n}" for n in range(21)], "at most 20"),
        (["Mon", ""], "1 to 40"),
        (["   "], "1 to 40"),
        (["x" * 41], "1 to 40"),
        (["Mon", "mon"], "given twice"),
        ([" Mon"], "no spaces"),
        (["Mon", 3], "sections"),
    ],
)
def test_bad_section_lists_are_refused_and_nothing_is_made(
    client: TestClient, database_url: str, sections: list[Any], why: str
) -> None:
    admin = instructor_client(client, database_url)
    before = len(admin.get("/api/instructor/studies").json())
    refused = admin.post("/api/instructor/studies", json=BODY | {"sections": sections})
    assert refused.status_code == 422, refused.text
    assert why in refused.json()["error"]["message"]
    assert len(admin.get("/api/instructor/studies").json()) == before


def test_sections_are_edited_only_in_a_draft(client: TestClient, database_url: str) -> None:
    admin = instructor_client(client, database_url)
    created = admin.post("/api/instructor/studies", json=BODY | {"sections": SECTIONS})
    assert created.status_code == 201, created.text
    assert created.json()["sections"] == SECTIONS
    study_id = created.json()["id"]
    url = f"/api/instructor/studies/{study_id}"
    bad = admin.patch(url, json={"sections": ["A", "A"]})
    assert bad.status_code == 422
    assert admin.get(url).json()["sections"] == SECTIONS
    edited = admin.patch(url, json={"sections": ["Wed 10:00"]})
    assert edited.status_code == 200, edited.text
    assert edited.json()["sections"] == ["Wed 10:00"]
    assert admin.patch(url, json={"sections": []}).json()["sections"] == []
    assert admin.patch(url, json={"sections": SECTIONS}).status_code == 200
    assert admin.post(f"{url}/open").status_code == 200
    late = admin.patch(url, json={"sections": ["Other"]})
    assert late.status_code == 409
    assert admin.get(url).json()["sections"] == SECTIONS


def test_a_student_of_a_study_with_sections_must_pick_a_known_one(
    client: TestClient, database_url: str
) -> None:
    admin = instructor_client(client, database_url)
    study = create_open_study(admin, sections=SECTIONS)
    joined = client.post("/api/student/join", json={"code": study["join_code"]})
    assert joined.status_code == 201
    assert joined.json()["sections"] == SECTIONS
    headers = {"Authorization": f"Bearer {joined.json()['token']}"}
    missing = _consent(client, headers)
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "section_required"
    assert "Mon 9:00" in missing.json()["error"]["message"]
    for section in (2, 99):
        unknown = _consent(client, headers, section=section)
        assert unknown.status_code == 422
        assert unknown.json()["error"]["code"] == "unknown_section"
    assert _consent(client, headers, section=-1).status_code == 422
    assert _consent(client, headers, section="Mon 9:00").status_code == 422
    nothing = state(client, headers)
    assert (nothing["step"], nothing["consent"], nothing["section"]) == ("consent", None, None)
    assert nothing["sections"] == SECTIONS
    assert _consent(client, headers, section=1).status_code == 204
    assert _consent(client, headers, section=1).status_code == 204  # a retry
    assert _consent(client, headers, section=0).status_code == 409  # not a change
    chosen = state(client, headers)
    assert (chosen["step"], chosen["section"]) == ("pre_test", 1)
    # Declining needs no section; a study without sections refuses one.
    other = join(client, study["join_code"])
    declined = client.post("/api/student/consent", json={"choice": "decline"}, headers=other)
    assert declined.status_code == 204
    plain = create_open_study(admin)
    student = join(client, plain["join_code"])
    refused = _consent(client, student, section=0)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_section"
    assert state(client, student)["consent"] is None


def _assigned(client: TestClient, headers: dict[str, str]) -> str:
    start(client, headers, "pre")
    finish(client, headers, "pre")  # nothing answered: the band "low"
    response = client.post("/api/student/assignment", headers=headers)
    assert response.status_code == 200, response.text
    stratum: str = response.json()["stratum"]
    return stratum


def test_48_students_per_section_get_both_orders_in_each_condition_of_each_section(
    client: TestClient, database_url: str
) -> None:
    admin = instructor_client(client, database_url)
    study = create_open_study(admin, sections=SECTIONS)
    students = []
    for number in range(2 * PER_SECTION):
        headers = join(client, study["join_code"])
        assert _consent(client, headers, section=number % 2).status_code == 204
        students.append(headers)
    strata = Counter(_assigned(client, headers) for headers in students)
    assert strata == {"low|ml_no|s0": PER_SECTION, "low|ml_no|s1": PER_SECTION}

    with db_session(database_url) as session:
        seed = session.get_one(Study, study["id"]).assignment_seed
        participants = list(
            session.scalars(select(Participant).where(Participant.study_id == study["id"]))
        )
    for section in (0, 1):
        members = [p for p in participants if p.section == section]
        assert len(members) == PER_SECTION
        cells = Counter((p.condition, p.form_order) for p in members)
        for condition in CONDITIONS:
            assert abs(cells[condition, "AB"] - cells[condition, "BA"]) <= 2, (section, cells)
        arms = Counter(p.condition for p in members)
        assert abs(arms["cnn101"] - arms["conventional"]) <= 4, (section, arms)
        # Exactly the seed's sequences of this section: form order, then condition.
        by_form = sorted(members, key=lambda p: p.form_slot or 0)
        assert [p.form_slot for p in by_form] == list(range(PER_SECTION))
        expected = block_sequence(seed, "form_order", f"ml_no|s{section}", FORM_ORDERS, 48)
        assert [p.form_order for p in by_form] == expected
        for order in FORM_ORDERS:
            ordered = sorted(
                (p for p in members if p.form_order == order), key=lambda p: p.condition_slot or 0
            )
            sequence = f"low|ml_no|s{section}|{order}"
            drawn = block_sequence(seed, "condition", sequence, CONDITIONS, len(ordered))
            assert [p.condition for p in ordered] == drawn, sequence


def test_the_preregistration_names_the_sections_and_the_sensitivity_analyses(
    client: TestClient, database_url: str
) -> None:
    admin = instructor_client(client, database_url)
    documents = {}
    for name, fields in (("with", {"sections": SECTIONS}), ("without", {})):
        study = create_open_study(admin, **fields)
        response = admin.get(f"/api/instructor/studies/{study['id']}/preregistration.json")
        assert response.status_code == 200, response.text
        documents[name] = response.json()
    with_sections, without = documents["with"], documents["without"]
    assert with_sections["design"]["sections"]["names"] == SECTIONS
    assert "|s<index>" in with_sections["design"]["sections"]["stratum"]
    plan = with_sections["analysis_plan"]
    assert any("fixed effects" in line for line in plan["section_sensitivity"])
    assert any("G - 1" in line for line in plan["section_sensitivity"])
    assert "sections" not in without["design"]
    assert "section_sensitivity" not in without["analysis_plan"]
    for document in documents.values():
        itt = document["analysis_plan"]["intention_to_treat"]
        assert "pre-test score" in itt["imputation"] and itt["results_field"] == "itt"


def test_a_participants_export_frozen_without_sections_keeps_its_columns() -> None:
    from evaluation.export import CODEBOOK, codebook_for, rows_to_csv

    old = [{column: None for column in CODEBOOK["participants"] if column != "section"}]
    assert "section" not in codebook_for("participants", old)
    assert "section" not in rows_to_csv(old, list(codebook_for("participants", old)))
    new = [old[0] | {"section": "Mon 9:00"}]
    assert list(codebook_for("participants", new)) == list(CODEBOOK["participants"])


def test_a_preregistration_written_before_these_analyses_marks_them_unplanned(
    client: TestClient, database_url: str
) -> None:
    import json

    from evaluation.models import StudyPreregistration
    from evaluation.planned import planned

    admin = instructor_client(client, database_url)
    study = create_open_study(admin, sections=SECTIONS)
    with db_session(database_url) as session:
        assert planned(session, study["id"], "intention_to_treat") is True
        row = session.get_one(StudyPreregistration, study["id"])
        older = json.loads(row.content)  # as documents written before them read
        del older["analysis_plan"]["intention_to_treat"]
        del older["analysis_plan"]["section_sensitivity"]
        row.content = json.dumps(older)
        session.commit()
        assert planned(session, study["id"], "intention_to_treat") is False
        assert planned(session, study["id"], "section_sensitivity") is False
        plain = create_open_study(admin)
        session.delete(session.get_one(StudyPreregistration, plain["id"]))
        session.commit()
        assert planned(session, plain["id"], "intention_to_treat") is None

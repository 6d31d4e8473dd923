"""Issue 18, part 6: the conventional arm's material (an uploaded PDF or video).

On PostgreSQL over HTTP: an upload comes back byte for byte (and a Range request as the
206 slice a video seeks with); too large is 413 and too foreign 415, leaving nothing on
disk or in the table; another instructor can neither see nor choose it; a study using it
cannot lose it (409); a conventional-arm student gets it while learning and an
explorer-arm student does not; the pre-registration, the results, the Methods text and the
report name it, and a study without a choice says "the built-in tutorial".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evaluation.app import create_app
from evaluation.models import AuditEntry, Material
from evaluation.report import build_report
from tests.databases import FakeClock, PostgresDatabases, db_session
from tests.evaluation.conftest import instructor_client, make_settings
from tests.evaluation.helpers import answer_items, consent, finish, join, start

PDF_LIMIT = 4096
VIDEO_LIMIT = 64 * 1024
# An MP4 begins with an ``ftyp`` box; the rest need not play for the service.
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 100
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STUDY = {
    "title": "Material study",
    "consent_text": "You may take part; your answers are stored pseudonymously.",
    "learning_seconds": 600,
    "pre_test_seconds": 300,
    "post_test_seconds": 300,
}


@pytest.fixture
def material_dir(tmp_path: Path) -> Path:
    return tmp_path / "material"


@pytest.fixture
def pg_url(postgres: PostgresDatabases) -> str:
    return postgres.create()


@pytest.fixture
def service(pg_url: str, material_dir: Path, clock: FakeClock) -> Iterator[TestClient]:
    settings = make_settings(
        pg_url,
        evaluation_material_dir=material_dir,
        evaluation_max_pdf_bytes=PDF_LIMIT,
        evaluation_max_video_bytes=VIDEO_LIMIT,
    )
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


def upload(teacher: TestClient, body: bytes, title: str = "Lecture", name: str = "x.bin") -> Any:
    return teacher.post(
        "/api/instructor/materials",
        params={"title": title, "filename": name},
        content=body,
        headers={"Content-Type": "application/octet-stream"},
    )


def _files(material_dir: Path) -> list[str]:
    return sorted(p.name for p in material_dir.rglob("*") if p.is_file())


def _rows(url: str) -> int:
    with db_session(url) as session:
        return int(session.scalar(select(func.count()).select_from(Material)) or 0)


def test_upload_round_trip_and_range(service: TestClient, pg_url: str, material_dir: Path) -> None:
    teacher = instructor_client(service, pg_url)
    response = upload(teacher, MP4, "Convolutions, lecture 3", "lecture3.mp4")
    assert response.status_code == 201, response.text
    stored = response.json()
    sha = hashlib.sha256(MP4).hexdigest()
    assert stored["kind"] == "video" and stored["media_type"] == "video/mp4"
    assert stored["size_bytes"] == len(MP4) and stored["sha256"] == sha
    assert stored["original_filename"] == "lecture3.mp4" and stored["in_use"] is False
    assert _files(material_dir) == [sha]  # named by content, the temporary file gone
    url = f"/api/instructor/materials/{stored['id']}/file"
    whole = teacher.get(url)
    assert whole.status_code == 200 and whole.content == MP4
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["x-content-type-options"] == "nosniff"
    assert whole.headers["cache-control"].startswith("private")
    part = teacher.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == MP4[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(MP4)}"
    # The same bytes uploaded again are a second row sharing the one file.
    assert upload(teacher, MP4, "Again").status_code == 201
    assert _files(material_dir) == [sha]
    pdf = upload(teacher, PDF, "Notes", "notes.pdf").json()
    assert pdf["kind"] == "pdf" and pdf["media_type"] == "application/pdf"
    shown = teacher.get(f"/api/instructor/materials/{pdf['id']}/file")
    assert shown.content == PDF and shown.headers["content-disposition"].startswith("inline")
    assert [m["title"] for m in teacher.get("/api/instructor/materials").json()] == [
        "Convolutions, lecture 3",
        "Again",
        "Notes",
    ]


def test_too_large_and_wrong_type_store_nothing(
    service: TestClient, pg_url: str, material_dir: Path
) -> None:
    teacher = instructor_client(service, pg_url)
    too_big_pdf = PDF + b"0" * PDF_LIMIT
    refused = upload(teacher, too_big_pdf, "Big notes", "big.pdf")
    assert refused.status_code == 413, refused.text
    assert refused.json()["error"]["code"] == "material_too_large"
    # Over every limit at once: the body limit refuses it before the route reads it.
    huge = upload(teacher, MP4 + b"0" * VIDEO_LIMIT, "Huge")
    assert huge.status_code == 413
    for body, name in ((b"<html>not a pdf</html>", "fake.pdf"), (b"GIF89a" + b"0" * 64, "a.mp4")):
        wrong = upload(teacher, body, "Wrong", name)
        assert wrong.status_code == 415, wrong.text
        assert "not a PDF, an MP4 or a WebM" in wrong.json()["error"]["message"]
    assert upload(teacher, b"", "Empty").status_code == 422
    assert upload(teacher, PDF, "\x00").status_code == 422
    assert _rows(pg_url) == 0
    assert _files(material_dir) == []  # not even a temporary file


def _new_study(teacher: TestClient) -> dict[str, Any]:
    created = teacher.post("/api/instructor/studies", json=STUDY)
    assert created.status_code == 201, created.text
    study: dict[str, Any] = created.json()
    return study


def test_ownership_and_delete_in_use(service: TestClient, pg_url: str, material_dir: Path) -> None:
    owner = instructor_client(service, pg_url)
    other = instructor_client(service, pg_url)
    video = upload(owner, MP4, "Mine").json()
    study = _new_study(owner)
    others_study = _new_study(other)
    assert other.get("/api/instructor/materials").json() == []
    assert other.get(f"/api/instructor/materials/{video['id']}/file").status_code == 404
    assert other.delete(f"/api/instructor/materials/{video['id']}").status_code == 404
    chosen = other.put(
        f"/api/instructor/studies/{others_study['id']}/material",
        json={"material_id": video["id"]},
    )
    assert chosen.status_code == 404 and chosen.json()["error"]["code"] == "unknown_material"
    assert other.get(f"/api/instructor/studies/{study['id']}/material").status_code == 404
    # The owner's draft starts with the built-in tutorial, then takes the video.
    before = owner.get(f"/api/instructor/studies/{study['id']}/material").json()
    assert before["material"] is None and before["citation"]["kind"] == "tutorial"
    choice = owner.put(
        f"/api/instructor/studies/{study['id']}/material", json={"material_id": video["id"]}
    )
    assert choice.status_code == 200, choice.text
    assert choice.json()["material"]["id"] == video["id"] and choice.json()["editable"]
    in_use = owner.delete(f"/api/instructor/materials/{video['id']}")
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "material_in_use"
    assert _files(material_dir) == [video["sha256"]]
    # Back to the tutorial: now it can go, file and all.
    back = owner.put(f"/api/instructor/studies/{study['id']}/material", json={"material_id": None})
    assert back.json()["material"] is None
    assert owner.delete(f"/api/instructor/materials/{video['id']}").status_code == 204
    assert _files(material_dir) == [] and _rows(pg_url) == 0
    # The audit log has the upload and the deletion (not the refused tries), by the owner.
    with db_session(pg_url) as session:
        log = session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("material.%")).order_by(AuditEntry.id)
        ).all()
        entries = [(e.action, e.target, e.actor_id, e.detail) for e in log]
    owner_id = log[0].actor_id
    assert owner_id is not None
    assert entries == [
        (
            "material.upload",
            f"material {video['id']}",
            owner_id,
            {"kind": "video", "size_bytes": len(MP4)},
        ),
        ("material.delete", f"material {video['id']}", owner_id, {}),
    ]


def _student_in(service: TestClient, code: str, want: str) -> dict[str, str]:
    """Students join and take the pre-test until one is assigned ``want``."""
    for number in range(12):
        headers = join(service, code)
        consent(service, headers, prior_ml=number % 2 == 0)
        answer_items(service, headers, start(service, headers, "pre"), n_correct=3)
        finish(service, headers, "pre")
        assigned = service.post("/api/student/assignment", headers=headers)
        if assigned.json()["condition"] == want:
            return headers
    raise AssertionError(f"no student was assigned {want}")


def test_students_and_the_report(
    service: TestClient, pg_url: str, clock: FakeClock, material_dir: Path
) -> None:
    teacher = instructor_client(service, pg_url)
    video = upload(teacher, MP4, "Convolutions, lecture 3", "lecture3.mp4").json()
    study = _new_study(teacher)
    sid = study["id"]
    teacher.put(f"/api/instructor/studies/{sid}/material", json={"material_id": video["id"]})
    opened = teacher.post(f"/api/instructor/studies/{sid}/open")
    assert opened.status_code == 200
    frozen = teacher.put(f"/api/instructor/studies/{sid}/material", json={"material_id": None})
    assert frozen.status_code == 409 and frozen.json()["error"]["code"] == "study_not_draft"
    assert teacher.get(f"/api/instructor/studies/{sid}/material").json()["editable"] is False
    # The pre-registration names it.
    document = json.loads(teacher.get(f"/api/instructor/studies/{sid}/preregistration.json").text)
    named = document["design"]["conventional_material"]
    assert named["kind"] == "video" and named["sha256"] == video["sha256"]
    assert named["title"] == "Convolutions, lecture 3" and named["size_bytes"] == len(MP4)

    conventional = _student_in(service, opened.json()["join_code"], "conventional")
    explorer = _student_in(service, opened.json()["join_code"], "cnn101")
    early = service.get("/api/student/material", headers=conventional)
    assert early.status_code == 409 and early.json()["error"]["code"] == "wrong_step"
    start(service, conventional, "learning")
    start(service, explorer, "learning")
    given = service.get("/api/student/material", headers=conventional)
    assert given.status_code == 200, given.text
    assert given.json()["kind"] == "video" and given.json()["media_type"] == "video/mp4"
    link = given.json()["url"]
    served = service.get(link)  # no token header: the signed link is the authority
    assert served.status_code == 200 and served.content == MP4
    assert served.headers["content-type"] == "video/mp4"
    part = service.get(link, headers={"Range": "bytes=0-15"})
    assert part.status_code == 206 and part.content == MP4[:16]
    refused = service.get("/api/student/material", headers=explorer)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "no_material"
    forged = service.get(link[:-3] + "abc")
    assert forged.status_code == 403
    # The link ends with the learning phase.
    clock.advance(600 + 10)
    assert service.get(link).status_code == 403
    answer_items(service, conventional, start(service, conventional, "post"), n_correct=5)
    finish(service, conventional, "post")
    assert teacher.post(f"/api/instructor/studies/{sid}/close").status_code == 200
    results = teacher.get(f"/api/instructor/studies/{sid}/results").json()
    cited = results["conventional_material"]
    assert cited["kind"] == "video" and cited["sha256"] == video["sha256"]
    with db_session(pg_url) as session:
        html = build_report(session, sid)
    assert "Convolutions, lecture 3" in html and video["sha256"] in html
    assert "Conventional material: The conventional arm studied an uploaded lecture video" in html


def test_without_a_choice_the_built_in_tutorial_is_named(service: TestClient, pg_url: str) -> None:
    teacher = instructor_client(service, pg_url)
    study = _new_study(teacher)
    opened = teacher.post(f"/api/instructor/studies/{study['id']}/open").json()
    document = json.loads(
        teacher.get(f"/api/instructor/studies/{opened['id']}/preregistration.json").text
    )
    assert document["design"]["conventional_material"] == {
        "kind": "tutorial",
        "title": "CNN 101 tutorial",
        "media_type": None,
        "size_bytes": None,
        "sha256": None,
    }
    student = join(service, opened["join_code"])
    assert service.get("/api/student/material", headers=student).status_code == 404

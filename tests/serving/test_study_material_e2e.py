"""The conventional arm's uploaded video in headless Chromium, through the gateway.

The instructor uploads a WebM (made in the browser itself: a canvas recorded with
MediaRecorder, so no video tool is needed) from the study's panel, through the gateway's
streaming upload, chooses it and opens the study. A student whom the allocation puts in
the conventional arm starts the learning phase and gets a ``<video>`` of that file (served
by the gateway with Range: 206 and the right slice); playing, seeking and pausing it are
stored as interaction events. An explorer-arm student is refused the material. A gateway
of its own in front of a study service of its own (SQLite, material in a temporary
folder); no model stack is needed for the conventional arm.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.app import create_app as create_evaluation_app
from evaluation.auth import create_instructor
from evaluation.models import InteractionEvent
from evaluation.settings import EvaluationSettings
from services.database.engine import make_engine
from services.gateway.app import create_app as create_gateway_app
from services.gateway.settings import GatewaySettings
from tests.serving.browser import shot
from tests.serving.conftest import (
    SPA_DIR,
    STUDY_EMAIL,
    STUDY_PASSWORD,
    StudySite,
    log_in,
    spa_built,
)
from tests.serving.stack import GatewayThread

# A second of a coloured canvas recorded as WebM by the browser's own encoder.
RECORD_WEBM = """async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 48;
  const context = canvas.getContext("2d");
  const stream = canvas.captureStream(15);
  const recorder = new MediaRecorder(stream, { mimeType: "video/webm" });
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const stopped = new Promise((resolve) => (recorder.onstop = resolve));
  recorder.start(100);
  for (let frame = 0; frame < 20; frame += 1) {
    context.fillStyle = `hsl(${frame * 18}, 80%, 50%)`;
    context.fillRect(0, 0, 64, 48);
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
  recorder.stop();
  await stopped;
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}"""


VIDEO_LIMIT = 2 * 1024 * 1024


# The draft study both tests create (its material is chosen afterwards).
STUDY = {
    "title": "Lecture video study",
    "consent_text": "You may take part.",
    "learning_seconds": 120,
    "pre_test_seconds": 120,
    "post_test_seconds": 120,
}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[StudySite]:
    spa_built()
    database_url = f"sqlite:///{tmp_path / 'evaluation.db'}"
    evaluation = GatewayThread(
        create_evaluation_app(
            EvaluationSettings(
                evaluation_database_url=database_url,
                evaluation_bootstrap_instructor=None,
                evaluation_material_dir=tmp_path / "material",
                evaluation_max_video_bytes=VIDEO_LIMIT,
            )
        )
    )
    evaluation.start()
    engine = make_engine(database_url)
    with Session(engine) as session:
        create_instructor(session, STUDY_EMAIL, STUDY_PASSWORD)
    engine.dispose()
    gateway = GatewayThread(
        create_gateway_app(
            GatewaySettings(spa_dir=SPA_DIR, evaluation_url=evaluation.url, rate_limit_scale=0)
        )
    )
    gateway.start()
    yield StudySite(gateway.url, database_url)
    gateway.stop()
    evaluation.stop()


def _student(http: httpx.Client, code: str, want: str) -> str:
    """Students take the pre-test over HTTP until one is assigned ``want``; their token."""
    for number in range(16):
        token = http.post("/api/student/join", json={"code": code}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        consent = {"choice": "participate", "prior_ml": number % 2 == 0}
        assert http.post("/api/student/consent", json=consent, headers=auth).status_code == 204
        assert http.post("/api/student/phases/pre/start", headers=auth).status_code == 200
        assert http.post("/api/student/phases/pre/finish", headers=auth).status_code == 200
        assigned = http.post("/api/student/assignment", headers=auth).json()
        if assigned["condition"] == want:
            return str(token)
    raise AssertionError(f"nobody was assigned {want}")


def _refusals_through_the_gateway(http: httpx.Client, material_dir: Path) -> None:
    """Streamed through the gateway, a refused upload gets its 413/415 whole (the service
    reads the rest before answering) and leaves no file behind."""
    webm_magic = b"\x1a\x45\xdf\xa3" + b"\x00" * (VIDEO_LIMIT + 1024 * 1024)
    params = {"title": "Too long"}
    too_large = http.post("/api/instructor/materials", params=params, content=webm_magic)
    assert too_large.status_code == 413, too_large.text
    assert too_large.json()["error"]["code"] == "material_too_large"
    foreign = http.post(
        "/api/instructor/materials", params=params, content=b"MZ" + b"\x00" * 1024 * 1024
    )
    assert foreign.status_code == 415, foreign.text
    assert [p for p in material_dir.rglob("*") if p.is_file()] == []
    assert http.get("/api/instructor/materials").json() == []


def _kinds(database_url: str) -> list[tuple[str, dict[str, object]]]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(InteractionEvent).order_by(InteractionEvent.id))
            return [(row.kind, dict(row.payload)) for row in rows]
    finally:
        engine.dispose()


PLAY_SEEK_PAUSE = """async () => {
  const video = document.querySelector("video");
  video.muted = true;
  await video.play();
  await new Promise((resolve) => setTimeout(resolve, 300));
  video.currentTime = 0.5;
  await new Promise((resolve) => video.addEventListener("seeked", resolve, { once: true }));
  video.pause();
}"""


def _upload_choose_and_open(page: Page, site: StudySite, tmp_path: Path) -> tuple[str, bytes]:
    """The instructor makes a small WebM, uploads it on the study's panel, chooses it and
    opens the study; its join code and the video's bytes."""
    log_in(page, site)
    webm = base64.b64decode(page.evaluate(RECORD_WEBM))
    assert webm[:4] == b"\x1a\x45\xdf\xa3" and len(webm) > 200
    video_file = tmp_path / "lecture.webm"
    video_file.write_bytes(webm)
    page.get_by_role("button", name="Lecture video study").first.click()
    panel = page.get_by_test_id("material-panel")
    expect(panel).to_contain_text("The built-in tutorial")
    page.get_by_test_id("material-file").set_input_files(str(video_file))
    panel.get_by_label("Title").fill("Convolutions, lecture 3")
    panel.get_by_role("button", name="Upload").click()
    expect(panel).to_contain_text("Uploaded “Convolutions, lecture 3”")
    option = panel.locator("option", has_text="Convolutions, lecture 3")
    page.get_by_test_id("material-select").select_option(option.get_attribute("value"))
    expect(page.get_by_test_id("material-chosen")).to_contain_text("Lecture video")
    shot(page, "study-material-instructor")
    page.get_by_role("button", name="Open the study").click()
    expect(page.get_by_test_id("study-panel")).to_have_attribute("data-status", "open")
    expect(page.get_by_test_id("material-chosen")).to_contain_text("Fixed since the study opened")
    return page.get_by_test_id("join-code").inner_text(), webm


def _resume_as(page: Page, site: StudySite, token: str) -> None:
    """The student's page with their token, as after joining (a reload resumes)."""
    page.goto(site.url + "/study.html")
    joined = {"studyTitle": "Lecture video study", "consentText": "You may take part."}
    page.evaluate(
        "([token, joined]) => { localStorage.setItem('cnn101.study.token', token);"
        " localStorage.setItem('cnn101.study.joined', joined); }",
        [token, json.dumps(joined)],
    )
    page.reload()


def _same_bytes_and_ranges(http: httpx.Client, source: str, webm: bytes) -> None:
    """The same bytes through the gateway, and the slice a seek asks for."""
    whole = http.get(source)
    assert whole.status_code == 200 and whole.content == webm
    assert whole.headers["content-type"] == "video/webm"
    assert whole.headers["x-content-type-options"] == "nosniff"
    part = http.get(source, headers={"Range": "bytes=10-109"})
    assert part.status_code == 206 and part.content == webm[10:110]
    assert part.headers["content-range"] == f"bytes 10-109/{len(webm)}"


def test_a_conventional_student_watches_the_uploaded_video(
    page: Page, site: StudySite, tmp_path: Path
) -> None:
    http = httpx.Client(base_url=site.url, timeout=30)
    login = {"email": STUDY_EMAIL, "password": STUDY_PASSWORD}
    assert http.post("/api/instructor/login", json=login).status_code == 200
    created = http.post("/api/instructor/studies", json=STUDY)
    assert created.status_code == 201, created.text
    _refusals_through_the_gateway(http, tmp_path / "material")
    code, webm = _upload_choose_and_open(page, site, tmp_path)

    conventional = _student(http, code, "conventional")
    explorer = _student(http, code, "cnn101")
    student_page = page.context.browser.new_context().new_page()  # type: ignore[union-attr]
    _resume_as(student_page, site, conventional)
    student_page.get_by_role("button", name="Start the learning phase").click()
    video = student_page.get_by_test_id("material-video")
    expect(video).to_be_visible()
    expect(student_page.get_by_role("heading", name="Convolutions, lecture 3")).to_be_visible()
    _same_bytes_and_ranges(http, video.get_attribute("src") or "", webm)
    # Play (muted: no gesture needed), seek, pause: each is an event with the position.
    student_page.evaluate(PLAY_SEEK_PAUSE)
    shot(student_page, "study-material-student")
    refused = http.get("/api/student/material", headers={"Authorization": f"Bearer {explorer}"})
    assert refused.status_code == 404

    student_page.wait_for_timeout(6000)  # the events are sent every 5 s
    events = _kinds(site.database_url)
    kinds = {kind for kind, _ in events}
    wanted = {"learning.shown", "material.opened", "material.video_play", "material.video_pause"}
    assert wanted <= kinds, kinds
    seeked = [payload for kind, payload in events if kind == "material.video_seeked"]
    assert seeked and isinstance(seeked[0]["position"], float | int)


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` (offsets computed, so any viewer opens it)."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_a_conventional_student_reads_the_uploaded_pdf(page: Page, site: StudySite) -> None:
    http = httpx.Client(base_url=site.url, timeout=30)
    login = {"email": STUDY_EMAIL, "password": STUDY_PASSWORD}
    assert http.post("/api/instructor/login", json=login).status_code == 200
    pdf = tiny_pdf("Convolution notes")
    stored = http.post(
        "/api/instructor/materials", params={"title": "Convolution notes"}, content=pdf
    )
    assert stored.status_code == 201, stored.text
    sid = http.post("/api/instructor/studies", json=STUDY).json()["id"]
    chosen = {"material_id": stored.json()["id"]}
    assert http.put(f"/api/instructor/studies/{sid}/material", json=chosen).status_code == 200
    code = http.post(f"/api/instructor/studies/{sid}/open").json()["join_code"]
    _resume_as(page, site, _student(http, code, "conventional"))
    page.get_by_role("button", name="Start the learning phase").click()
    frame = page.get_by_test_id("material-pdf")
    expect(frame).to_be_visible()
    served = http.get(frame.get_attribute("src") or "")
    assert served.content == pdf and served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("inline")
    expect(page.get_by_role("link", name="open Convolution notes (PDF)")).to_be_visible()
    page.wait_for_timeout(6000)  # the events are sent every 5 s
    shot(page, "study-material-pdf")
    kinds = {kind for kind, _ in _kinds(site.database_url)}
    assert {"material.opened", "material.pdf_opened"} <= kinds, kinds

"""The study in headless Chromium: the instructor's dashboard and two students, one per condition.

A gateway serving the SPA build (CNN101_TEST_SPA_DIR) sits in front of the shared serving
stack and an evaluation service of this module's own (SQLite in a temporary folder), whose
join link points at that gateway. The instructor creates and opens a study with a recorded
seed chosen so the first two students of a stratum land in different conditions; both
students go from the join link to the done page; the dashboard shows their progress and,
after closing, the results with plots. Screenshots go to /tmp/cnn101-spa/study-*.png.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from evaluation.app import create_app as create_evaluation_app
from evaluation.assignment import block_sequence
from evaluation.auth import create_instructor
from evaluation.db import make_engine
from evaluation.models import CONDITIONS, InteractionEvent, Participant
from evaluation.report import run_report_build
from evaluation.settings import EvaluationSettings
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.serving.conftest import Stack
from tests.serving.stack import GatewayThread, free_port
from tests.serving.test_spa_e2e import CHROMIUM, CHROMIUM_ARGS, SHOTS, SPA_DIR, _spa_built

EMAIL = "teacher@study-e2e.example"
PASSWORD = "correct horse battery staple"
# Both students hand in a pre-test with at most three answers (below a third of 13 items),
# and say they have not studied ML: one stratum for both.
STRATUM = "low|ml_no"
LEARNING_SECONDS = 25


@dataclass
class StudySite:
    url: str
    database_url: str


class ThreadReportQueue:
    """Builds the HTML report on a thread of this process (the Celery path has its own tests)."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def enqueue(self, study_id: int, build_id: str) -> None:
        threading.Thread(
            target=run_report_build, args=(self.factory, study_id, build_id), daemon=True
        ).start()


def _seed_splitting_first_two() -> int:
    """A recorded seed whose first two slots in STRATUM are different conditions."""
    for seed in range(1000):
        first, second = block_sequence(seed, "condition", STRATUM, CONDITIONS, 2)
        if first != second:
            return seed
    raise AssertionError("no seed in range splits the first two slots")


@pytest.fixture
def site(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudySite]:
    """A study service and gateway per test: each test owns its database and sessions."""
    _spa_built()
    root = tmp_path_factory.mktemp("study-e2e")
    database_url = f"sqlite:///{root / 'evaluation.db'}"
    port = free_port()
    evaluation_app = create_evaluation_app(
        EvaluationSettings(
            evaluation_database_url=database_url,
            evaluation_bootstrap_instructor=None,
            evaluation_public_url=f"http://127.0.0.1:{port}",
        )
    )
    report_engine = make_engine(database_url)
    evaluation_app.state.report_queue = ThreadReportQueue(sessionmaker(report_engine))
    evaluation = GatewayThread(evaluation_app)
    evaluation.start()
    engine = make_engine(database_url)
    with Session(engine) as session:
        create_instructor(session, EMAIL, PASSWORD)
    engine.dispose()
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=stack.activations_target,
                data_dir=stack.data_dir,
                spa_dir=SPA_DIR,
                retry_after_seconds=1,
                evaluation_url=evaluation.url,
                broker_url=stack.redis.url_for(1),
                result_backend=stack.redis.url_for(1),
            )
        )
    )
    # The join link is built from the public URL, so the gateway listens where it says.
    gateway.port = port
    gateway.server.config.port = port
    gateway.start()
    yield StudySite(gateway.url, database_url)
    gateway.stop()
    evaluation.stop()
    report_engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Contexts:
    """Browser contexts (separate cookies and storage: separate people), checked for errors."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def page(self, width: int = 1280, height: int = 720) -> Page:
        context = self.browser.new_context(viewport={"width": width, "height": height})
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser: Browser) -> Iterator[Contexts]:
    contexts = Contexts(browser)
    yield contexts
    contexts.close()
    assert not contexts.errors, f"uncaught errors in the pages: {contexts.errors}"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"study-{name}.png"), full_page=True)


def _log_in(page: Page, site: StudySite) -> None:
    page.goto(site.url + "/instructor.html")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_item_bank_edit_import_export(site: StudySite, people: Contexts, tmp_path: Path) -> None:
    """Edit an item, refuse a broken CSV whole, import an export back."""
    page = people.page(1280, 720)
    _log_in(page, site)
    page.get_by_role("button", name="Item bank").click()
    rows = page.locator(".items-table tbody tr")
    expect(rows).to_have_count(26)
    page.get_by_role("button", name="Edit A01").click()
    editor = page.get_by_role("form", name="Edit item A01")
    editor.get_by_label("Explanation").fill("Edited in the dashboard: 64 - 3 + 1 = 62.")
    editor.get_by_role("button", name="Save item").click()
    expect(page.get_by_role("status")).to_have_text("Saved A01.")
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    exported = httpx.get(site.url + "/api/instructor/items/export.json", cookies=cookies).json()
    by_key = {item["key"]: item for item in exported["items"]}
    assert by_key["A01"]["explanation"] == "Edited in the dashboard: 64 - 3 + 1 = 62."

    # A broken CSV is refused whole, with the reason; a valid JSON export imports back.
    bad = tmp_path / "broken.csv"
    bad.write_text("key,form\nA01,A\n", encoding="utf-8")
    page.get_by_label("Import JSON or CSV…").set_input_files(str(bad))
    expect(page.get_by_role("alert")).to_contain_text("broken.csv was not imported")
    expect(page.get_by_role("alert")).to_contain_text("missing columns")
    good = tmp_path / "bank.json"
    good.write_text(json.dumps(exported), encoding="utf-8")
    page.get_by_label("Import JSON or CSV…").set_input_files(str(good))
    expect(page.get_by_role("status")).to_contain_text("Imported bank.json: 0 new")
    expect(rows).to_have_count(26)
    _shot(page, "instructor-items")


def test_join_errors_and_the_consent_choices(site: StudySite, people: Contexts) -> None:
    """A wrong code is explained; no_data and decline end the flow without study data."""
    http = httpx.Client(base_url=site.url, timeout=30)
    assert http.post("/api/instructor/login", json={"email": EMAIL, "password": PASSWORD})
    study = http.post(
        "/api/instructor/studies", json={"title": "Consent check", "consent_text": "Agree?"}
    ).json()
    assert http.post(f"/api/instructor/studies/{study['id']}/open").status_code == 200
    try:
        page = people.page(1024, 768)
        page.goto(site.url + "/study.html")
        page.get_by_label("Join code").fill("ZZZZZZ")
        page.get_by_role("button", name="Join").click()
        expect(page.get_by_role("alert")).to_contain_text("no study has this join code")
        page.get_by_label("Join code").fill(study["join_code"].lower())
        page.get_by_role("button", name="Join").click()
        expect(page.get_by_test_id("consent-text")).to_have_text("Agree?")
        page.get_by_role("button", name="Use the material without my data being used").click()
        expect(page.get_by_role("heading", name="Use the material")).to_be_visible()
        page.get_by_role("button", name="Read the tutorial").click()
        expect(page.get_by_test_id("tutorial")).to_be_visible()
        page.reload()
        expect(page.get_by_role("heading", name="Use the material")).to_be_visible()

        other = people.page(1280, 720)
        other.goto(study["join_link"])
        other.get_by_role("button", name="Join").click()
        other.get_by_role("button", name="Decline").click()
        expect(other.get_by_role("heading", name="Thank you")).to_be_visible()
        expect(other.get_by_role("button", name="Withdraw from the study")).to_have_count(0)
        progress = http.get(f"/api/instructor/studies/{study['id']}/progress").json()
        assert progress["counts"] == {"unassigned": {"free_use": 1, "declined": 1}}
    finally:
        http.post(f"/api/instructor/studies/{study['id']}/close")


def _create_and_open_study(page: Page, site: StudySite, seed: int) -> tuple[str, str]:
    page.goto(site.url + "/instructor.html")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong email or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="New study").click()
    page.get_by_label("Title").fill("Week 5: CNNs")
    page.get_by_label("Pre-test (minutes)").fill("3")
    page.get_by_label("Learning phase (minutes)").fill(str(LEARNING_SECONDS / 60))
    page.get_by_label("Post-test (minutes)").fill("3")
    page.get_by_label("Assignment seed (optional)").fill(str(seed))
    page.get_by_role("button", name="Create study").click()
    panel = page.get_by_test_id("study-panel")
    expect(panel).to_have_attribute("data-status", "draft")
    expect(panel).to_contain_text(f"Assignment seed{seed}")
    # A draft can still be edited; the edit is what the students see.
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Title").fill("Week 5: convolutional networks")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Week 5: convolutional networks")).to_be_visible()
    page.get_by_role("button", name="Open the study").click()
    expect(panel).to_have_attribute("data-status", "open")
    code = page.get_by_test_id("join-code").inner_text()
    link = page.get_by_test_id("join-link").get_attribute("href") or ""
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    assert link == f"{site.url}/study.html?code={code}"
    qr = page.get_by_role("img", name=re.compile("QR code of the join link"))
    expect(qr).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", qr.element_handle()) > 100
    page.get_by_role("button", name="Show on the projector").click()
    _shot(page, "instructor-projector")
    page.get_by_role("button", name="Close the projector view").click()
    return code, link


def _join_and_consent(page: Page, link: str) -> str:
    page.goto(link)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Consent")).to_be_visible()
    expect(page.locator(".study-title")).to_have_text("Week 5: convolutional networks")
    # Taking part needs the prior-ML answer first.
    page.get_by_role("button", name="Take part in the study").click()
    expect(page.get_by_role("alert")).to_contain_text("answer the question")
    page.get_by_role("radio", name="No").check()
    page.get_by_role("button", name="Take part in the study").click()
    expect(page.get_by_role("heading", name="Pre-test")).to_be_visible()
    return page.get_by_test_id("participant-code").inner_text()


def _pre_test(page: Page, reload: bool) -> None:
    page.get_by_role("button", name="Start the pre-test").click()
    expect(page.get_by_test_id("countdown")).to_be_visible()
    seconds = int(page.get_by_test_id("countdown").get_attribute("data-seconds") or "0")
    assert 170 <= seconds <= 180
    for number in range(1, 4):
        question = page.get_by_test_id("question")
        expect(question.get_by_role("heading")).to_have_text(f"Question {number} of 13")
        if number == 1 and not reload:
            # Keyboard only: the question's heading has the focus; Tab, arrow, Tab, Enter.
            expect(question.get_by_role("heading")).to_be_focused()
            page.keyboard.press("Tab")
            page.keyboard.press("ArrowDown")
            expect(question.get_by_role("radio").nth(1)).to_be_checked()
            page.keyboard.press("Tab")
            expect(question.get_by_role("button", name="Save answer")).to_be_focused()
            page.keyboard.press("Enter")
        else:
            question.get_by_role("radio").nth(1).check()
            question.get_by_role("button", name="Save answer").click()
        expect(page.get_by_test_id("quiz-progress")).to_have_text(f"{number} of 13 answered")
    if reload:
        page.reload()
        expect(page.get_by_test_id("quiz-progress")).to_have_text("3 of 13 answered")
        expect(page.get_by_test_id("question").get_by_role("heading")).to_have_text(
            "Question 4 of 13"
        )
        page.get_by_role("button", name="Question 2, answered").click()
        expect(page.get_by_test_id("question").get_by_role("radio").nth(1)).to_be_checked()
        expect(page.get_by_test_id("question").get_by_role("radio").nth(1)).to_be_disabled()
    _shot(page, "pre-test")
    page.get_by_role("button", name="Hand in the test").click()
    page.get_by_role("button", name="Hand in", exact=True).click()
    expect(page.get_by_role("heading", name="Pre-test done")).to_be_visible()
    page.get_by_role("button", name="Continue to the learning phase").click()
    expect(page.get_by_role("heading", name="Learning phase")).to_be_visible()


def _post_test_all_on_a_page(page: Page) -> None:
    expect(page.get_by_role("heading", name="Post-test")).to_be_visible(
        timeout=(LEARNING_SECONDS + 30) * 1000
    )
    page.get_by_role("button", name="Start the post-test").click()
    page.get_by_role("radio", name="All questions").check()
    questions = page.get_by_test_id("question")
    expect(questions).to_have_count(13)
    for index in range(13):
        question = questions.nth(index)
        question.get_by_role("radio").nth(index % 2).check()
        question.get_by_role("button", name="Save answer").click()
        expect(question.get_by_role("status")).to_have_text("Saved ✓")
    expect(page.get_by_test_id("quiz-progress")).to_have_text("13 of 13 answered")
    page.get_by_role("button", name="Hand in the test").click()


def _questionnaire_and_done(page: Page, name: str) -> None:
    expect(page.get_by_role("heading", name="Three short questions")).to_be_visible()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_contain_text("answer all three")
    page.get_by_test_id("scale-umux_capabilities").get_by_role("radio").nth(5).check()
    page.get_by_test_id("scale-umux_ease").get_by_role("radio").nth(6).check()
    page.get_by_test_id("scale-mental_effort").get_by_role("radio").nth(4).check()
    _shot(page, f"questionnaire-{name}")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Done — thank you!")).to_be_visible()
    pre = page.get_by_test_id("pre-score").inner_text()
    post = page.get_by_test_id("post-score").inner_text()
    assert re.fullmatch(r"[0-3] / 13", pre), pre
    assert re.fullmatch(r"\d{1,2} / 13", post), post
    expect(page.get_by_test_id("review-item")).to_have_count(26)
    expect(page.get_by_text("(correct answer").first).to_be_visible()
    _shot(page, f"done-{name}")


def _learn(first: Page, second: Page) -> dict[str, Page]:
    """Both start learning; each explores their own material. Returns pages by condition."""
    conditions: dict[str, Page] = {}
    for page in (first, second):
        shown = page.get_by_test_id("condition")
        conditions[shown.get_attribute("data-condition") or ""] = page
    # The recorded seed splits the stratum's first two slots: one student in each condition.
    assert set(conditions) == set(CONDITIONS)
    for page in conditions.values():
        page.get_by_role("button", name="Start the learning phase").click()
        expect(page.get_by_test_id("countdown")).to_be_visible()
    explorer_student, tutorial_student = conditions["cnn101"], conditions["conventional"]

    # cnn101: the explorer in its frame; open a neuron's view and change the image.
    frame = explorer_student.frame_locator('[data-testid="explorer-frame"]')
    expect(frame.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    frame.locator('[data-layer="conv_1_1"][data-neuron="2"]').click()
    frame.locator("[data-example]").nth(3).click()
    _shot(explorer_student, "learning-cnn101")

    # conventional: the tutorial's pages, read in turn; the figures are static SVG.
    expect(tutorial_student.get_by_test_id("tutorial")).to_be_visible()
    expect(tutorial_student.get_by_role("img").first).to_be_visible()
    _shot(tutorial_student, "tutorial-convolution")
    for _ in range(3):
        tutorial_student.get_by_role("button", name="Next →").click()
    expect(tutorial_student.locator("[data-page]")).to_have_attribute("data-page", "relu")
    tutorial_student.get_by_role("button", name="7. Dense layer and softmax").click()
    _shot(tutorial_student, "tutorial-softmax")
    tutorial_student.get_by_role("button", name="9. Counting parameters").click()
    expect(tutorial_student.get_by_role("table")).to_contain_text("19,920")
    _shot(tutorial_student, "learning-conventional")
    return conditions


def _check_events(site: StudySite) -> None:
    """Events from both conditions, stored per participant."""
    engine = make_engine(site.database_url)
    with Session(engine) as session:
        kinds = {
            (condition, kind)
            for condition, kind in session.execute(
                select(Participant.condition, InteractionEvent.kind).join(
                    InteractionEvent, InteractionEvent.participant_id == Participant.id
                )
            )
        }
        assert {
            ("cnn101", "explorer.view_opened"),
            ("cnn101", "explorer.neuron_clicked"),
            ("cnn101", "explorer.image_changed"),
            ("cnn101", "explorer.view_time"),
            ("conventional", "tutorial.page_view"),
            ("conventional", "tutorial.page_time"),
        } <= kinds, kinds
        assert not {kind for condition, kind in kinds if condition == "conventional"} & {
            "explorer.neuron_clicked"
        }
        clicked = session.scalar(
            select(InteractionEvent.payload).where(
                InteractionEvent.kind == "explorer.neuron_clicked"
            )
        )
        assert clicked == {"layer": "conv_1_1", "index": 2}
        pages = session.scalars(
            select(InteractionEvent.payload).where(InteractionEvent.kind == "tutorial.page_view")
        ).all()
        assert [page["page"] for page in pages][:4] == [
            "convolution",
            "padding_stride",
            "channels_bias",
            "relu",
        ]
        assert session.scalar(select(func.count()).select_from(Participant)) == 2
    engine.dispose()


def _withdraw(page: Page, link: str, codes: list[str]) -> None:
    """A third student joins and withdraws: back to the join page, their row gone."""
    third_code = _join_and_consent(page, link)
    assert third_code not in codes
    page.get_by_role("button", name="Withdraw from the study").click()
    page.get_by_role("button", name="Delete my data and withdraw").click()
    expect(page.get_by_role("status").first).to_contain_text("has been deleted")
    expect(page.get_by_role("heading", name="Join the study")).to_be_visible()


def _close_and_read_results(teacher: Page, site: StudySite, codes: list[str]) -> None:
    expect(teacher.get_by_test_id("count-done")).to_have_text("2", timeout=15_000)
    teacher.get_by_role("button", name="Close the study").click()
    teacher.get_by_role("button", name="Close now").click()
    expect(teacher.get_by_test_id("study-panel")).to_have_attribute("data-status", "closed")
    expect(teacher.get_by_test_id("n-cnn101")).to_have_text("1")
    expect(teacher.get_by_test_id("n-conventional")).to_have_text("1")
    expect(teacher.get_by_test_id("prepost-line")).to_have_count(2)
    bars = teacher.get_by_test_id("gain-bar")
    counts = [int(bars.nth(i).get_attribute("data-count") or "0") for i in range(bars.count())]
    assert sum(counts) == 2
    # One student per form and phase: difficulties exist, discriminations need more students.
    expect(teacher.get_by_test_id("plot-items")).to_contain_text("without a discrimination")
    session_cookies = {cookie["name"]: cookie["value"] for cookie in teacher.context.cookies()}
    href = teacher.get_by_role("link", name="CSV").first.get_attribute("href") or ""
    csv = httpx.get(site.url + href, cookies=session_cookies)
    assert csv.status_code == 200
    assert all(code in csv.text for code in codes)
    _shot(teacher, "instructor-results")
    teacher.get_by_role("button", name="Build the HTML report").click()
    report_link = teacher.get_by_role("link", name="Open the report")
    expect(report_link).to_be_visible(timeout=30_000)
    report = httpx.get(
        site.url + (report_link.get_attribute("href") or ""), cookies=session_cookies
    )
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "conventional" in report.text


def test_two_students_one_per_condition_and_the_dashboard(
    site: StudySite, people: Contexts
) -> None:
    teacher = people.page(1280, 800)
    code, link = _create_and_open_study(teacher, site, _seed_splitting_first_two())
    _shot(teacher, "instructor-open")

    first = people.page(1280, 720)
    second = people.page(1024, 768)  # a tablet in landscape
    codes = [_join_and_consent(first, link), _join_and_consent(second, link)]
    _pre_test(first, reload=True)
    _pre_test(second, reload=False)
    by_condition = _learn(first, second)

    # The dashboard, live: both in the learning step, one per condition, outcomes hidden.
    expect(teacher.get_by_test_id("count-learning")).to_have_text("2", timeout=15_000)
    expect(teacher.locator('tr[data-step="learning"] td')).to_have_text(["1", "1", "2"])
    _shot(teacher, "instructor-progress")

    for condition, page in by_condition.items():
        _post_test_all_on_a_page(page)
        _questionnaire_and_done(page, condition)
    _check_events(site)
    _withdraw(people.page(1280, 720), link, codes)
    _close_and_read_results(teacher, site, codes)
    expect(teacher.get_by_text(code)).to_have_count(0)  # the join card is gone once closed

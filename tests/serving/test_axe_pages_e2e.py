"""axe-core on every page a class meets (issue 15): the explorer's views and overlays, the
student's study steps in both conditions, the instructor's dashboard sections.

All axe rules run (colour contrast included) on the whole document and its frames; a page
passes with no serious and no critical violation. Each test prints a table (page, serious,
critical, rule ids) and appends it to /tmp/cnn101-spa/axe-results.json, so a run before and
after a fix can be compared. axe is read like test_spa_layout_e2e.py reads it (CNN101_AXE_JS
or the SPA's devDependency) and injected as a script, so contexts bypass the page's CSP.
Screenshots go to /tmp/cnn101-spa/axe-*.png.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.evaluation.conftest import PASSWORD, new_instructor
from tests.serving.browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, Contexts, open_explorer, shot
from tests.serving.conftest import Stack, StudySite, log_in, spa_gateway
from tests.serving.stack import GatewayThread
from tests.serving.test_study_e2e import (
    LEARNING_SECONDS,
    _create_and_open_study,
    _join_and_consent,
    _seed_splitting_first_two,
)
from tests.serving.test_study_e2e_item_bank import MINE

AXE_JS = Path(
    os.environ.get(
        "CNN101_AXE_JS",
        Path(__file__).resolve().parents[2] / "frontend/node_modules/axe-core/axe.min.js",
    )
)
BLOCKING = ("serious", "critical")
RESULTS = SHOTS / "axe-results.json"

SETTLED_JS = """() => document.getAnimations().every(
  (a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity)"""

RUN_AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact,
    nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
  }));
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium with a fake camera (the camera panel shows a picture, not an error)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        yield launched
        launched.close()


class AxeLog:
    """The serious and critical violations found on each named page of one test."""

    def __init__(self, suite: str) -> None:
        self.suite = suite
        self.pages: dict[str, list[dict[str, Any]]] = {}

    def check(self, page: Page, name: str) -> None:
        """Runs axe on the page as it is now (every frame gets axe first)."""
        if not AXE_JS.is_file():
            raise AssertionError(f"axe-core is missing ({AXE_JS}): it is a devDependency, npm ci")
        # The pointer off the content (hover lifts faded views back to full opacity), and
        # animations (a view fading in) settled: contrast is read from the styles.
        page.mouse.move(1, 1)
        page.wait_for_function(SETTLED_JS, timeout=5_000)
        for frame in page.frames:
            if frame.evaluate("() => typeof axe === 'undefined'"):
                frame.add_script_tag(path=str(AXE_JS))
        violations: list[dict[str, Any]] = page.evaluate(RUN_AXE_JS)
        self.pages[name] = [v for v in violations if v["impact"] in BLOCKING]
        shot(page, f"axe-{self.suite}-{name}")

    def table(self) -> str:
        rows = [f"{'page':44} serious critical  rules"]
        for name, violations in self.pages.items():
            counts = {impact: sum(v["impact"] == impact for v in violations) for impact in BLOCKING}
            rules = ", ".join(f"{v['id']} ({len(v['nodes'])})" for v in violations)
            rows.append(f"{name:44} {counts['serious']:7} {counts['critical']:8}  {rules}")
        return "\n".join(rows)

    def finish(self) -> None:
        """Prints the table, records it, and fails on any page with a blocking violation."""
        print(f"\naxe, {self.suite}:\n{self.table()}")
        SHOTS.mkdir(parents=True, exist_ok=True)
        recorded = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
        recorded[self.suite] = self.pages
        RESULTS.write_text(json.dumps(recorded, indent=1))
        failing = {name: violations for name, violations in self.pages.items() if violations}
        assert not failing, self.table() + "\n" + json.dumps(failing, indent=1)[:6000]


# --- Explorer ------------------------------------------------------------------------------

SIZES = [(1400, 900), (1024, 768)]


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_axe_explorer(spa: GatewayThread, browser: Browser, width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    context.grant_permissions(["camera"])
    page = context.new_page()
    log = AxeLog(f"explorer-{width}x{height}")
    open_explorer(page, spa.url + "/")
    log.check(page, "overview")
    _explorer_views(page, log)
    _explorer_palette_and_inputs(page, spa, log)
    context.close()
    log.finish()


def _explorer_views(page: Page, log: AxeLog) -> None:
    """The conv view and its detail, the ReLU and pooling details, flatten and softmax."""

    page.locator('[data-layer="conv_2_2"][data-neuron="4"]').click()
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    log.check(page, "conv-view")
    page.get_by_test_id("open-conv-detail").click()
    expect(page.get_by_test_id("conv-detail")).to_be_visible()
    log.check(page, "conv-detail")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("conv-detail")).to_have_count(0)
    page.get_by_test_id("close-conv").click()

    page.locator('[data-layer="relu_1_2"][data-neuron="5"]').click()
    expect(page.get_by_test_id("relu-detail")).to_be_visible(timeout=30_000)
    log.check(page, "relu-detail")
    page.get_by_test_id("close-detail").click()
    page.locator('[data-layer="max_pool_1"][data-neuron="3"]').click()
    expect(page.get_by_test_id("pool-detail")).to_be_visible(timeout=30_000)
    log.check(page, "pool-detail")
    page.get_by_test_id("close-detail").click()

    page.locator("[data-class]").nth(3).click()
    expect(page.get_by_test_id("flatten-view")).to_be_visible(timeout=30_000)
    log.check(page, "flatten-view")
    page.get_by_test_id("open-softmax-detail").click()
    expect(page.get_by_test_id("softmax-detail")).to_be_visible()
    log.check(page, "softmax-detail")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("softmax-detail")).to_have_count(0)

    page.get_by_test_id("tab-playground").click()
    expect(page.get_by_test_id("playground")).to_be_visible()
    log.check(page, "playground")
    page.get_by_test_id("tab-explorer").click()


def _explorer_palette_and_inputs(page: Page, spa: GatewayThread, log: AxeLog) -> None:
    """The colour-blind palette, then the camera and drawing panels."""
    open_explorer(page, spa.url + "/")
    page.get_by_test_id("palette-toggle").check()
    log.check(page, "overview-colour-blind")
    page.locator('[data-layer="conv_1_1"][data-neuron="2"]').click()
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    log.check(page, "conv-view-colour-blind")
    page.get_by_test_id("close-conv").click()
    page.locator('[data-layer="max_pool_1"][data-neuron="3"]').click()
    expect(page.get_by_test_id("pool-detail")).to_be_visible(timeout=30_000)
    log.check(page, "pool-detail-colour-blind")
    page.get_by_test_id("close-detail").click()

    page.get_by_test_id("open-camera").click()
    expect(page.get_by_test_id("camera-take")).to_have_text("Take the picture", timeout=15_000)
    log.check(page, "camera-panel")
    page.get_by_role("button", name="Close the camera").click()
    page.get_by_test_id("open-drawing").click()
    expect(page.get_by_test_id("drawing-canvas")).to_be_visible()
    page.get_by_test_id("drawing-canvas").click(position={"x": 60, "y": 60})
    log.check(page, "drawing-panel")


# --- Study ---------------------------------------------------------------------------------


def test_axe_study_pages(study_site: StudySite, people: Contexts) -> None:
    log = AxeLog("study")
    teacher = people.page(1280, 800)
    _, link = _create_and_open_study(teacher, study_site, _seed_splitting_first_two())
    students = []
    for width, height in ((1280, 720), (1024, 768)):
        context = people.browser.new_context(
            viewport={"width": width, "height": height}, bypass_csp=True
        )
        people.contexts.append(context)
        students.append(context.new_page())
    first, second = students
    _entry(first, second, link, log)
    _pre_tests(students, log)
    by_condition = _learning(students, log)
    _post_tests(by_condition, log)
    _withdraw(people, link, log)
    log.finish()


def _entry(first: Page, second: Page, link: str, log: AxeLog) -> None:
    """Join, consent and the pre-test's start (the second student goes through unchecked)."""
    first.goto(link)
    expect(first.get_by_role("button", name="Join")).to_be_visible()
    log.check(first, "join")
    first.get_by_role("button", name="Join").click()
    expect(first.get_by_role("heading", name="Consent")).to_be_visible()
    log.check(first, "consent")
    first.get_by_role("radio", name="No").check()
    first.get_by_role("button", name="Take part in the study").click()
    expect(first.get_by_role("heading", name="Pre-test")).to_be_visible()
    log.check(first, "pre-test-intro")
    _join_and_consent(second, link)


def _pre_tests(students: list[Page], log: AxeLog) -> None:
    """One answer each, handed in; the first student's pages are checked."""
    for index, student in enumerate(students):
        student.get_by_role("button", name="Start the pre-test").click()
        question = student.get_by_test_id("question")
        expect(question.get_by_role("heading")).to_have_text(re.compile("Question 1 of"))
        if index == 0:
            log.check(student, "pre-test-question")
        question.get_by_role("radio").nth(1).check()
        question.get_by_role("button", name="Save answer").click()
        if index == 0:
            log.check(student, "pre-test-answered")
        student.get_by_role("button", name="Hand in the test").click()
        if index == 0:
            log.check(student, "pre-test-hand-in-confirm")
        student.get_by_role("button", name="Hand in", exact=True).click()
        expect(student.get_by_role("heading", name="Pre-test done")).to_be_visible()
        if index == 0:
            log.check(student, "pre-test-done")
        student.get_by_role("button", name="Continue to the learning phase").click()
        expect(student.get_by_role("heading", name="Learning phase")).to_be_visible()


def _learning(students: list[Page], log: AxeLog) -> dict[str, Page]:
    """Both conditions' learning pages (the explorer's frame is checked too)."""
    by_condition = {
        student.get_by_test_id("condition").get_attribute("data-condition") or "": student
        for student in students
    }
    assert set(by_condition) == {"cnn101", "conventional"}
    for condition, student in by_condition.items():
        log.check(student, f"learning-intro-{condition}")
        student.get_by_role("button", name="Start the learning phase").click()
    explorer_student = by_condition["cnn101"]
    frame = explorer_student.frame_locator('[data-testid="explorer-frame"]')
    expect(frame.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(frame.get_by_test_id("status")).to_have_count(0, timeout=30_000)
    log.check(explorer_student, "learning-cnn101")
    tutorial_student = by_condition["conventional"]
    expect(tutorial_student.get_by_test_id("tutorial")).to_be_visible()
    log.check(tutorial_student, "learning-conventional")
    tutorial_student.get_by_role("button", name="7. Dense layer and softmax").click()
    log.check(tutorial_student, "learning-conventional-softmax")
    tutorial_student.get_by_role("button", name="9. Counting parameters").click()
    log.check(tutorial_student, "learning-conventional-parameters")
    return by_condition


def _post_tests(by_condition: dict[str, Page], log: AxeLog) -> None:
    """Post-test, questionnaire (with its error) and the done page of each condition."""
    for condition, student in by_condition.items():
        expect(student.get_by_role("heading", name="Post-test")).to_be_visible(
            timeout=(LEARNING_SECONDS + 30) * 1000
        )
        if condition == "cnn101":
            log.check(student, "post-test-intro")
        student.get_by_role("button", name="Start the post-test").click()
        student.get_by_role("radio", name="All questions").check()
        if condition == "cnn101":
            log.check(student, "post-test-all-questions")
        student.get_by_role("button", name="Hand in the test").click()
        student.get_by_role("button", name="Hand in", exact=True).click()
        expect(student.get_by_role("heading", name="Three short questions")).to_be_visible()
        if condition == "cnn101":
            student.get_by_role("button", name="Submit").click()
            expect(student.get_by_role("alert")).to_contain_text("answer all three")
            log.check(student, "questionnaire")
        for scale in ("umux_capabilities", "umux_ease", "mental_effort"):
            student.get_by_test_id(f"scale-{scale}").get_by_role("radio").nth(4).check()
        student.get_by_role("button", name="Submit").click()
        expect(student.get_by_role("heading", name="Done — thank you!")).to_be_visible()
        log.check(student, f"done-{condition}")


def _withdraw(people: Contexts, link: str, log: AxeLog) -> None:
    """A third student withdraws: the confirmation and the join page after it."""
    third_context = people.browser.new_context(
        viewport={"width": 1280, "height": 720}, bypass_csp=True
    )
    people.contexts.append(third_context)
    third = third_context.new_page()
    _join_and_consent(third, link)
    third.get_by_role("button", name="Withdraw from the study").click()
    expect(third.get_by_role("button", name="Delete my data and withdraw")).to_be_visible()
    log.check(third, "withdraw")
    third.get_by_role("button", name="Delete my data and withdraw").click()
    expect(third.get_by_role("heading", name="Join the study")).to_be_visible()
    log.check(third, "withdrawn")


# --- Instructor ----------------------------------------------------------------------------


def test_axe_instructor_pages(study_site: StudySite, browser: Browser, tmp_path: Path) -> None:
    log = AxeLog("instructor")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.goto(study_site.url + "/instructor.html")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    log.check(page, "login")
    log_in(page, study_site)
    log.check(page, "studies-empty")
    page.get_by_role("button", name="New study").click()
    expect(page.get_by_label("Title")).to_be_visible()
    log.check(page, "new-study-form")
    page.get_by_label("Title").fill("Week 5: CNNs")
    page.get_by_role("button", name="Create study").click()
    panel = page.get_by_test_id("study-panel")
    expect(panel).to_have_attribute("data-status", "draft")
    log.check(page, "study-draft")
    page.get_by_role("button", name="Open the study").click()
    expect(panel).to_have_attribute("data-status", "open")
    log.check(page, "study-open-progress")
    page.get_by_role("button", name="Show on the projector").click()
    log.check(page, "study-projector")
    page.get_by_role("button", name="Close the projector view").click()
    page.get_by_role("button", name="Close the study").click()
    page.get_by_role("button", name="Close now").click()
    expect(panel).to_have_attribute("data-status", "closed")
    log.check(page, "study-closed-results")

    page.get_by_role("button", name="Item bank").click()
    expect(page.get_by_test_id("owner-A01")).to_be_visible()
    log.check(page, "item-bank")
    own = tmp_path / "mine.json"
    own.write_text(json.dumps({"items": [MINE]}), encoding="utf-8")
    page.get_by_label("Import JSON or CSV…").set_input_files(str(own))
    expect(page.get_by_role("status")).to_contain_text("Imported mine.json: 1 new")
    page.get_by_role("button", name="Edit MINE14").click()
    expect(page.get_by_role("form", name="Edit item MINE14")).to_be_visible()
    log.check(page, "item-bank-edit-form")
    page.get_by_role("button", name="Lesson links").click()
    expect(page.locator(".instructor-main h2").first).to_be_visible()
    log.check(page, "lessons")
    page.get_by_role("button", name="Account").click()
    expect(page.get_by_label("Current password")).to_be_visible()
    log.check(page, "account")
    page.get_by_role("button", name="Audit log").click()
    expect(page.get_by_test_id("audit-table")).to_be_visible()
    log.check(page, "audit")
    context.close()
    log.finish()


def test_axe_models_and_presenter(stack: Stack, browser: Browser) -> None:
    """The models section and presenting need the shared stack's studio and Redis."""
    log = AxeLog("instructor-stack")
    site = spa_gateway(
        stack, redis_url=stack.redis.url, cache_prefix=f"{stack.prefix}-axe-presenter"
    )
    email = new_instructor(f"sqlite:///{stack.base_path.parent / 'evaluation.db'}")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(site.url + "/instructor.html")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("button", name="Models").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        expect(page.get_by_text("tiny_vgg").first).to_be_visible(timeout=15_000)
        log.check(page, "models")
        page.get_by_test_id("present").click()
        banner = page.get_by_test_id("presenter-banner")
        expect(banner).to_have_attribute("data-mode", "presenting", timeout=30_000)
        expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
        log.check(page, "presenter-teacher")
        code = page.get_by_test_id("presentation-code").inner_text()
        student = browser.new_context(
            viewport={"width": 1280, "height": 720}, bypass_csp=True
        ).new_page()
        student.goto(f"{site.url}/?follow={code}")
        expect(student.get_by_test_id("presenter-banner")).to_have_attribute(
            "data-mode", "following", timeout=30_000
        )
        expect(student.get_by_test_id("overview")).to_be_visible(timeout=30_000)
        log.check(student, "presenter-student")
        student.context.close()
    finally:
        context.close()
        site.stop()
    log.finish()

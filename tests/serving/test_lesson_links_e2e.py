"""Lesson links in headless Chromium: made in the instructor's dashboard, opened by a student.

The instructor logs in, opens "Lesson links", hides the playground, uploads, the flatten
view, the convolution and max-pooling details and the model choice, writes a title line,
starts from a pasted explorer link, checks the live preview and copies the link. A student
opens it: the hidden parts are not in the page (so not reachable by keyboard either), the
shown parts work, and the lesson survives the explorer's own URL rewrites (another example,
a neuron, Back, a reload). A link naming a neuron of a hidden view does not open it; a
garbage or too long lesson opens the whole explorer with a notice. Also the two loose ends
of the same area: the tab is URL state, and the study's embedded explorer has no header.
Screenshots go to /tmp/cnn101-spa/lesson-*.png.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Page, expect

from tests.serving.browser import Contexts, shot
from tests.serving.conftest import StudySite, log_in

TITLE = "Today: what does a convolution do?"
# Unticked in the composer, by their labels there.
HIDDEN_LABELS = [
    "Playground",
    "Upload a picture",
    "Flatten and softmax view",
    "Convolution detail",
    "Max-pooling detail",
    "Model choice",
]


def _example_ids(site: StudySite) -> list[str]:
    """The ids of the first class's examples (the picker shows one class at a time)."""
    response = httpx.get(site.url + "/api/examples", params={"model": "tiny_vgg"}, timeout=30)
    assert response.status_code == 200, response.text
    examples = response.json()["examples"]
    return [example["id"] for example in examples if example["label"] == examples[0]["label"]]


def _param(url: str, name: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None


def _focusable_test_ids(page: Page) -> list[str]:
    """Test ids of everything Tab can reach (and their ancestors' ids), in the page."""
    ids: list[str] = page.evaluate(
        """() => {
          const all = document.querySelectorAll(
            'a[href], button, input, select, textarea, [tabindex]');
          const reachable = [...all].filter((element) => !element.disabled && element.tabIndex >= 0
            && element.getClientRects().length > 0);
          return reachable.flatMap((element) => {
            const ids = [];
            for (let node = element; node; node = node.parentElement) {
              if (node.dataset && node.dataset.testid) ids.push(node.dataset.testid);
            }
            return ids;
          });
        }"""
    )
    return ids


def _make_lesson(page: Page, site: StudySite, start_example: str) -> str:
    """Builds the lesson in the dashboard and returns the copied link."""
    log_in(page, site)
    page.get_by_role("button", name="Lesson links").click()
    form = page.get_by_role("form", name="Lesson")
    for label in HIDDEN_LABELS:
        form.get_by_label(label, exact=True).uncheck()
    # The explorer cannot go too: one tab always stays; the softmax detail goes with its view.
    expect(form.get_by_label("Explorer", exact=True)).to_be_disabled()
    expect(form.get_by_label("Explorer", exact=True)).to_be_checked()
    expect(form.get_by_label("Softmax detail", exact=True)).to_be_disabled()
    expect(form.get_by_label("Softmax detail", exact=True)).not_to_be_checked()
    form.get_by_label("Title line (optional)").fill(TITLE)

    # A link that is not the explorer's is refused; an explorer link gives the start.
    paste = form.get_by_label("Paste an explorer link to start from its picture and open view")
    paste.fill(site.url + "/study.html?code=ABC")
    form.get_by_role("button", name="Start from this link").click()
    expect(form.get_by_role("status")).to_contain_text("not a link to the explorer")
    paste.fill(f"{site.url}/?example={start_example}&version=1")
    form.get_by_role("button", name="Start from this link").click()
    expect(form.get_by_test_id("lesson-start")).to_contain_text(f"example {start_example}")

    link = form.get_by_test_id("lesson-link").input_value()
    assert link.startswith(site.url + "/?"), link
    assert _param(link, "example") == start_example
    assert _param(link, "version") is None, "a lesson opens the newest version"
    assert re.fullmatch(r"1\.[A-Za-z0-9_-]+", _param(link, "lesson") or ""), link

    # The live preview is the explorer with that lesson.
    preview = page.frame_locator('[data-testid="lesson-preview"]')
    expect(page.get_by_test_id("lesson-preview")).to_have_attribute(
        "src", re.compile(re.escape(f"lesson={_param(link, 'lesson')}"))
    )
    expect(preview.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(preview.get_by_test_id("lesson-title")).to_have_text(TITLE)
    expect(preview.get_by_test_id("upload-area")).to_have_count(0)
    expect(preview.get_by_test_id("tab-playground")).to_have_count(0)
    # Clicking around in the preview, then starting from what it shows: a neuron open.
    preview.locator('[data-layer="conv_1_1"][data-neuron="2"]').click()
    expect(preview.get_by_test_id("conv-view")).to_be_visible()
    form.get_by_role("button", name="Start from what the preview shows").click()
    expect(form.get_by_test_id("lesson-start")).to_contain_text("neuron 3 of conv_1_1 open")
    link = form.get_by_test_id("lesson-link").input_value()
    assert _param(link, "neuron") == "conv_1_1:2" and _param(link, "example") == start_example
    assert _param(link, "version") is None

    qr = page.get_by_role("img", name="QR code of the lesson link")
    expect(qr).to_be_visible()
    assert (qr.bounding_box() or {"width": 0})["width"] >= 150
    page.get_by_role("button", name="Copy the link").click()
    expect(page.get_by_text("Copied the link.")).to_be_visible()
    copied: str = page.evaluate("navigator.clipboard.readText()")
    assert copied == link
    shot(page, "lesson-composer")
    return copied


def test_a_lesson_made_in_the_dashboard_opens_for_a_student(
    study_site: StudySite, people: Contexts
) -> None:
    examples = _example_ids(study_site)
    start, other = examples[5], examples[9]
    teacher = people.page(1440, 1000)
    teacher.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=study_site.url)
    link = _make_lesson(teacher, study_site, start)
    lesson = _param(link, "lesson")

    student = people.page(1280, 900)
    student.goto(link)
    expect(student.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(student.get_by_test_id("lesson-title")).to_have_text(TITLE)
    # The start: the neuron's intermediate view, without a way into the hidden detail.
    expect(student.get_by_test_id("conv-view")).to_be_visible()
    expect(student.get_by_test_id("play-pause")).to_be_visible()
    expect(student.get_by_test_id("open-conv-detail")).to_have_count(0)
    expect(
        student.get_by_role("button", name=re.compile("show the arithmetic|show its arithmetic"))
    ).to_have_count(0)
    expect(student.locator(f'[data-example="{start}"]')).to_have_attribute("aria-pressed", "true")
    # Hidden: not in the page at all, so Tab cannot reach them.
    for test_id in ("tab-playground", "tab-explorer", "upload-area", "file-input"):
        expect(student.get_by_test_id(test_id)).to_have_count(0)
    expect(student.get_by_role("tablist")).to_have_count(0)
    expect(student.get_by_test_id("model-version")).to_have_count(0)
    reachable = _focusable_test_ids(student)
    assert "overview" in reachable and "upload-area" not in reachable
    # Shown: the camera and drawing buttons, channels, scope, palette.
    for test_id in ("open-camera", "open-drawing", "channel-red", "palette-toggle"):
        expect(student.get_by_test_id(test_id)).to_be_visible()
    shot(student, "lesson-student")

    # A class does not open the hidden flatten view; the bars are still there.
    student.locator("[data-class]").first.click()
    expect(student.get_by_test_id("flatten-view")).to_have_count(0)
    # A max-pool neuron (its detail hidden) opens nothing either.
    student.locator('[data-layer="max_pool_1"][data-neuron="0"]').click()
    expect(student.get_by_test_id("pool-detail")).to_have_count(0)
    assert _param(student.url, "neuron") == "conv_1_1:2"

    # Shown views work, and the lesson stays in the URL as the student explores.
    student.locator('[data-layer="conv_1_1"][data-neuron="4"]').click()
    expect(student.get_by_test_id("conv-view")).to_contain_text("neuron 5")
    assert _param(student.url, "neuron") == "conv_1_1:4"
    assert _param(student.url, "lesson") == lesson
    student.locator(f'[data-example="{other}"]').click()
    expect(student).to_have_url(re.compile(rf"example={re.escape(other)}"))
    assert _param(student.url, "lesson") == lesson
    expect(student.get_by_test_id("conv-view")).to_be_visible()
    student.locator('[data-layer="relu_1_1"][data-neuron="1"]').click()
    expect(student.get_by_test_id("relu-detail")).to_be_visible()
    assert _param(student.url, "lesson") == lesson
    shot(student, "lesson-student-relu")
    student.go_back()
    expect(student.get_by_test_id("conv-view")).to_be_visible()
    student.reload()
    expect(student.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    expect(student.get_by_test_id("lesson-title")).to_have_text(TITLE)
    expect(student.get_by_test_id("upload-area")).to_have_count(0)
    assert _param(student.url, "lesson") == lesson

    _check_hidden_starts(student, link)


def _check_hidden_starts(student: Page, link: str) -> None:
    """A link that names a neuron of a hidden view, a hidden detail or tab, does not open it."""
    student.goto(f"{link}&neuron=max_pool_1:0&detail=1,1")
    expect(student.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(student.get_by_test_id("pool-detail")).to_have_count(0)
    student.goto(f"{link}&neuron=conv_1_1:0&detail=2,2")
    expect(student.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    expect(student.get_by_test_id("conv-detail")).to_have_count(0)
    student.goto(f"{link}&tab=playground")
    expect(student.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(student.get_by_test_id("tab-playground")).to_have_count(0)


def test_a_garbage_or_too_long_lesson_opens_the_whole_explorer_with_a_notice(
    study_site: StudySite, people: Contexts
) -> None:
    examples = _example_ids(study_site)
    page = people.page(1280, 800)
    page.goto(f"{study_site.url}/?lesson=1.not%20base64%21%21&example={examples[0]}")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("lesson-problem")).to_contain_text("damaged")
    expect(page.get_by_test_id("lesson-problem")).to_contain_text("whole explorer")
    for test_id in ("tab-playground", "upload-area", "open-camera", "palette-toggle"):
        expect(page.get_by_test_id(test_id)).to_be_visible()
    page.locator('[data-layer="conv_1_1"][data-neuron="0"]').click()
    expect(page.get_by_test_id("open-conv-detail")).to_be_visible()
    shot(page, "lesson-garbage")
    # The notice survives the app's own rewrites of the URL.
    page.locator(f'[data-example="{examples[3]}"]').click()
    expect(page).to_have_url(re.compile(rf"example={re.escape(examples[3])}"))
    assert _param(page.url, "lesson") == "1.not base64!!"
    expect(page.get_by_test_id("lesson-problem")).to_be_visible()

    page.goto(f"{study_site.url}/?lesson=1.{'A' * 3000}")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("lesson-problem")).to_contain_text("too long")
    expect(page.get_by_test_id("tab-playground")).to_be_visible()
    page.goto(f"{study_site.url}/?lesson=7.e30")
    expect(page.get_by_test_id("lesson-problem")).to_contain_text("newer CNN 101")


def test_the_tab_is_url_state_and_the_study_embedding_has_no_header(
    study_site: StudySite, people: Contexts
) -> None:
    page = people.page(1280, 800)
    page.goto(study_site.url + "/?tab=playground")
    expect(page.get_by_test_id("tab-playground")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("overview")).to_be_hidden()
    page.get_by_test_id("tab-explorer").click()
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    assert _param(page.url, "tab") is None
    page.go_back()
    expect(page.get_by_test_id("tab-playground")).to_have_attribute("aria-selected", "true")
    assert _param(page.url, "tab") == "playground"
    page.get_by_test_id("tab-explorer").click()
    page.get_by_test_id("tab-playground").click()
    page.reload()
    expect(page.get_by_test_id("tab-playground")).to_have_attribute("aria-selected", "true")

    # The study's frame: no explorer header (title, tabs, model), before and after rewrites.
    page.goto(study_site.url + "/?embed=study")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="CNN 101")).to_be_hidden()
    expect(page.get_by_test_id("tab-playground")).to_be_hidden()
    page.locator("[data-example]").nth(2).click()
    expect(page).to_have_url(re.compile(r"embed=study"))
    page.reload()
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="CNN 101")).to_be_hidden()
    shot(page, "lesson-embed-study")

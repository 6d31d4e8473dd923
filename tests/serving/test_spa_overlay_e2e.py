"""The detail views as overlays (issue 15), in headless Chromium at 1400x900 and 1024x768.

Each detail view (ReLU, max pooling, convolution, softmax) is opened from the overview the
way a student does; its dialog must lie wholly inside the window, hold the focus, close
with Escape and give the focus back to what opened it; its text is at least 12 px, and
every view that draws a heatmap shows a colour legend. A press outside the dialog closes
it and goes on to what it was on. Screenshots (the window, as the
student sees it) go to /tmp/cnn101-spa/overlay-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.serving.browser import SHOTS
from tests.serving.stack import GatewayThread

VIEWPORTS = [(1400, 900), (1024, 768)]

SETTLED = """() => new Promise((done) => {
  const y = scrollY;
  setTimeout(() => done(scrollY === y
    && document.getAnimations().every((a) => a.playState !== 'running'
      || a.effect.getTiming().iterations === Infinity)), 250);
})"""

# Every visible piece of text under an element and its font size, as the browser renders it.
SMALL_TEXT = """(root) => {
  const small = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    const element = node.parentElement;
    if (!text || !element || element.closest('title, .visually-hidden')) continue;
    const style = getComputedStyle(element);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const size = parseFloat(style.fontSize);
    if (size < 12) small.push(`${element.tagName} ${size}px: ${text.slice(0, 40)}`);
  }
  return small;
}"""

# Whether the focused element is inside the given element.
FOCUS_INSIDE = "(root) => root.contains(document.activeElement)"

# Each map's frame (its bordered box) and the canvas it holds; the dialog's visible box.
FRAMES = """(root) => {
  const view = root.getBoundingClientRect();
  return [...root.querySelectorAll('.windowed-map')].map((frame) => {
    const box = frame.getBoundingClientRect();
    const canvas = frame.querySelector('canvas').getBoundingClientRect();
    const style = getComputedStyle(frame);
    const border = parseFloat(style.borderLeftWidth);
    return {
      border,
      frame: [box.left, box.top, box.right, box.bottom],
      canvas: [canvas.left, canvas.top, canvas.right, canvas.bottom],
      view: [view.left, view.top, view.right, view.bottom],
    };
  });
}"""


def _settle(tab: Page) -> None:
    for _ in range(120):  # 250 ms each
        if tab.evaluate(SETTLED):
            return
    raise AssertionError("transitions or scrolling never ended")


def _inside_viewport(tab: Page, element: Locator) -> None:
    box = element.bounding_box()
    assert box is not None
    size = tab.viewport_size
    assert size is not None
    width = tab.evaluate("document.documentElement.clientWidth")
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= width + 0.5, (box, width)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (box, size)


def _check_dialog(tab: Page, dialog: Locator, name: str) -> None:
    """The dialog of a detail view: in the window, modal, named by its title, focused."""
    expect(dialog).to_be_visible(timeout=30_000)
    _settle(tab)
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_have_attribute("role", "dialog")
    title = dialog.get_by_role("heading", level=2)
    expect(dialog).to_have_accessible_name(title.inner_text())
    _inside_viewport(tab, dialog)
    assert dialog.evaluate(FOCUS_INSIDE), "the focus is not in the dialog"
    expect(dialog.get_by_test_id("close-detail")).to_be_visible()
    assert dialog.evaluate(SMALL_TEXT) == [], f"text under 12 px in {name}"
    # Map frames are whole: each canvas lies inside its frame, and each frame inside the view.
    for frame in dialog.evaluate(FRAMES):
        left, top, right, bottom = frame["frame"]
        c_left, c_top, c_right, c_bottom = frame["canvas"]
        border = frame["border"]
        assert c_left >= left + border - 0.5 and c_top >= top + border - 0.5, frame
        assert c_right <= right - border + 0.5 and c_bottom <= bottom - border + 0.5, frame
        v_left, _, v_right, _ = frame["view"]
        assert left >= v_left and right <= v_right, frame


def _legends_visible(scope: Locator, at_least: int = 1) -> None:
    legends = scope.locator(".legend")
    assert legends.count() >= at_least, legends.count()
    for i in range(legends.count()):
        expect(legends.nth(i)).to_be_visible()
        expect(legends.nth(i).locator(".legend-bar").first).to_be_visible()
    # Ticks at min, 0 and max (one "±m" label in a narrow legend).
    ticks = scope.locator(".legend-tick, .legend-ticks-narrow")
    assert ticks.count() >= 2


def _close_with_escape(tab: Page, dialog: Locator, opener: Locator) -> None:
    tab.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()


def _shot(tab: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.fixture(params=VIEWPORTS, ids=lambda size: f"{size[0]}x{size[1]}")
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[Page, str]]:
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab, f"{width}x{height}"
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def _open(tab: Page, url: str) -> None:
    tab.goto(url)
    expect(tab.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(tab).to_have_url(re.compile(r"example=[\w.-]+"))


def test_every_detail_view_opens_as_an_overlay_inside_the_window(
    spa: GatewayThread, sized: tuple[Page, str]
) -> None:
    tab, size = sized
    _open(tab, spa.url + "/")
    overview = tab.get_by_test_id("overview")
    # The overview's legends: one per colour scope and the input channels' 0 to 1.
    expect(tab.get_by_test_id("input-legend")).to_be_visible()
    expect(tab.get_by_test_id("input-legend").locator(".legend-bar")).to_have_count(3)
    expect(tab.get_by_test_id("input-legend")).to_contain_text("0")
    expect(tab.get_by_test_id("input-legend")).to_contain_text("1")
    _legends_visible(overview, at_least=2)

    # ReLU and max pooling: straight from an overview neuron, the lowest ones of their column
    # (the clicks of issue 15 that put the view below the window).
    for layer, neuron, test_id in (
        ("relu_1_1", 9, "relu-detail"),
        ("max_pool_2", 9, "pool-detail"),
        ("relu_2_2", 0, "relu-detail"),
    ):
        opener = tab.locator(f'[data-layer="{layer}"][data-neuron="{neuron}"]')
        opener.click()
        dialog = tab.get_by_test_id(test_id)
        _check_dialog(tab, dialog, test_id)
        _legends_visible(dialog)
        _shot(tab, f"overlay-{size}-{layer}")
        _close_with_escape(tab, dialog, opener)
        expect(tab).not_to_have_url(re.compile(r"neuron="))

    # Convolution: the intermediate view (legends, the bias glyph), then its detail.
    tab.locator('[data-layer="conv_2_2"][data-neuron="4"]').click()
    view = tab.get_by_test_id("conv-view")
    expect(view).to_be_visible(timeout=30_000)
    _legends_visible(view, at_least=4)
    bias = view.get_by_test_id("bias-glyph")
    expect(bias).to_be_visible()
    expect(bias).to_contain_text("bias")
    assert view.evaluate(SMALL_TEXT) == [], "text under 12 px in the conv view"
    opener = tab.get_by_test_id("open-conv-detail")
    opener.click()
    dialog = tab.get_by_test_id("conv-detail")
    _check_dialog(tab, dialog, "conv-detail")
    _legends_visible(dialog, at_least=2)
    # The intermediate view behind it shows the same pixel.
    heading = dialog.get_by_role("heading", level=2).inner_text()
    position = tab.get_by_test_id("window-position").inner_text()
    assert f", {position}:" in heading, (heading, position)
    _shot(tab, "overlay-" + size + "-conv-detail")
    _close_with_escape(tab, dialog, opener)
    tab.get_by_test_id("close-conv").click()
    expect(view).to_have_count(0)

    # Softmax: from a class, the flatten view (legends), then "Softmax in detail".
    tab.locator("[data-class]").nth(3).click()
    flatten = tab.get_by_test_id("flatten-view")
    expect(flatten).to_be_visible(timeout=30_000)
    _legends_visible(flatten, at_least=2)
    opener = tab.get_by_test_id("open-softmax-detail")
    opener.click()
    dialog = tab.get_by_test_id("softmax-detail")
    _check_dialog(tab, dialog, "softmax-detail")
    # It draws no heatmap (a bar of shares and a table), so it has no colour legend.
    expect(dialog.locator("canvas")).to_have_count(0)
    _shot(tab, f"overlay-{size}-softmax-detail")
    _close_with_escape(tab, dialog, opener)


def test_max_pool_window_is_a_square_grid(spa: GatewayThread, sized: tuple[Page, str]) -> None:
    tab, size = sized
    _open(tab, spa.url + "/")
    tab.locator('[data-layer="max_pool_1"][data-neuron="3"]').click()
    dialog = tab.get_by_test_id("pool-detail")
    _check_dialog(tab, dialog, "pool-detail")
    cells = dialog.get_by_test_id("pool-grid").locator("[data-value]")
    expect(cells).to_have_count(4)
    boxes = [cells.nth(i).bounding_box() for i in range(4)]
    assert all(box is not None for box in boxes)
    lefts = sorted({round(box["x"]) for box in boxes if box})
    tops = sorted({round(box["y"]) for box in boxes if box})
    assert len(lefts) == 2 and len(tops) == 2, boxes  # two rows of two
    for box in boxes:
        assert box is not None
        assert box["width"] == pytest.approx(box["height"], abs=1), box  # square cells
        assert 40 <= box["width"] <= 120, box
    # Each value is readable: at least 12 px and not cut off by its cell.
    for i in range(4):
        cell = cells.nth(i)
        assert float(cell.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 12
        assert cell.evaluate("el => el.scrollWidth <= el.clientWidth")
    _legends_visible(dialog)
    _shot(tab, f"overlay-{size}-pool-grid")
    # The close button closes it too, and gives the focus back to the neuron.
    dialog.get_by_test_id("close-detail").click()
    expect(dialog).to_have_count(0)
    expect(tab.locator('[data-layer="max_pool_1"][data-neuron="3"]')).to_be_focused()


def _outside(dialog: Locator, candidates: Locator) -> Locator:
    """The first of `candidates` that the dialog does not cover."""
    box = dialog.bounding_box()
    assert box is not None
    for i in range(candidates.count()):
        other = candidates.nth(i).bounding_box()
        if other is None:
            continue
        apart = (
            other["x"] + other["width"] < box["x"]
            or other["x"] > box["x"] + box["width"]
            or other["y"] + other["height"] < box["y"]
            or other["y"] > box["y"] + box["height"]
        )
        if apart and other["y"] >= 0:
            return candidates.nth(i)
    raise AssertionError("the dialog covers every candidate")


def test_keyboard_only_overlay_and_a_press_outside(
    spa: GatewayThread, sized: tuple[Page, str]
) -> None:
    """Enter on a neuron opens the overlay with the focus on its title; Tab and Shift+Tab
    stay inside the dialog; a press outside closes it and goes on to what was pressed."""
    tab, size = sized
    _open(tab, spa.url + "/")
    neuron = tab.locator('[data-layer="relu_1_2"][data-neuron="5"]')
    neuron.focus()
    tab.keyboard.press("Enter")
    dialog = tab.get_by_test_id("relu-detail")
    _check_dialog(tab, dialog, "relu-detail")
    expect(dialog.get_by_role("heading", level=2)).to_be_focused()
    for _ in range(6):
        tab.keyboard.press("Tab")
        assert dialog.evaluate(FOCUS_INSIDE), "Tab left the dialog"
    for _ in range(6):
        tab.keyboard.press("Shift+Tab")
        assert dialog.evaluate(FOCUS_INSIDE), "Shift+Tab left the dialog"
    # A press on another neuron, beside the dialog: this one closes, that one's opens.
    other = _outside(dialog, tab.locator('[data-layer^="max_pool_"]'))
    layer = other.get_attribute("data-layer")
    index = other.get_attribute("data-neuron")
    other.click()
    expect(dialog).to_have_count(0)
    pool = tab.get_by_test_id("pool-detail")
    _check_dialog(tab, pool, "pool-detail")
    expect(tab).to_have_url(re.compile(rf"neuron={layer}%3A{index}"))
    # A press on another picture: the detail closes and the picture is the new one.
    thumbnail = _outside(pool, tab.locator("[data-example]"))
    example = thumbnail.get_attribute("data-example")
    thumbnail.click()
    expect(pool).to_have_count(0)
    expect(tab).to_have_url(re.compile(rf"example={example}"))
    expect(tab).not_to_have_url(re.compile(r"detail="))
    _shot(tab, f"overlay-{size}-after-press-outside")


def test_reduced_motion_opens_the_overlay_in_place(spa: GatewayThread, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, reduced_motion="reduce")
    tab = context.new_page()
    _open(tab, spa.url + "/")
    tab.locator('[data-layer="max_pool_2"][data-neuron="0"]').click()
    dialog = tab.get_by_test_id("pool-detail")
    expect(dialog).to_be_visible(timeout=30_000)
    # No growing, no fading backdrop: nothing is animating right after it opened.
    expect(tab.locator(".overlay-backdrop")).to_have_count(1)
    assert tab.evaluate("document.getAnimations().length") == 0
    _inside_viewport(tab, dialog)
    context.close()

"""Classroom accessibility of the explorer in headless Chromium: the colour-blind palette,
the keyboard reaching every control and neuron, a 1280x720 laptop and a touch tablet.

Screenshots go to /tmp/cnn101-spa/ (``inputs-*.png``) to be looked at.
"""

from __future__ import annotations

import re

import numpy as np
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.serving.browser import DRAWN, open_explorer, shot
from tests.serving.stack import GatewayThread

# --- Colour-blind palette ------------------------------------------------------------------


def _ramp(negative: tuple[int, int, int], positive: tuple[int, int, int]) -> set[tuple[int, ...]]:
    """The 255 colours math/colour.ts paints with (d3 piecewise RGB interpolation)."""
    stops = np.array([negative, (255, 255, 255), positive], dtype=np.float64)
    colours = set()
    for i in range(255):
        t = i / 254 * 2
        segment = min(int(t), 1)
        colour = stops[segment] + (stops[segment + 1] - stops[segment]) * (t - segment)
        colours.add(tuple(int(np.floor(c + 0.5)) for c in colour))
    return colours


RED_BLUE = _ramp((202, 0, 32), (5, 113, 176))
ORANGE_PURPLE = _ramp((230, 97, 1), (94, 60, 153))

HEATMAP_COLOURS_JS = """() => {
  const seen = new Set();
  const maps = '[data-layer]:not([data-layer=input]) canvas.heatmap';
  for (const canvas of document.querySelectorAll(maps)) {
    const { width, height } = canvas;
    const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    for (let i = 0; i < data.length; i += 4) seen.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
  }
  return [...seen].map((text) => text.split(',').map(Number));
}"""


def _heatmap_colours(page: Page) -> set[tuple[int, ...]]:
    return {tuple(colour) for colour in page.evaluate(HEATMAP_COLOURS_JS)}


def _off_ramp(colours: set[tuple[int, ...]], ramp: set[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Colours more than one step (rounding) away from every ramp entry."""
    table = np.array(sorted(ramp))
    return [c for c in colours if np.abs(table - np.array(c)).max(axis=1).min() > 1]


def test_colour_blind_palette(spa: GatewayThread, page: Page) -> None:
    open_explorer(page, spa.url + "/")
    before = _heatmap_colours(page)
    assert len(before) > 50
    width = page.get_by_test_id("overview").evaluate("el => el.offsetWidth")
    assert not _off_ramp(before, RED_BLUE)
    assert _off_ramp(before, ORANGE_PURPLE)
    toggle = page.get_by_test_id("palette-toggle")
    toggle.check()
    expect(page.get_by_test_id("scope-legend").first.locator(".legend-bar")).to_have_attribute(
        "style", re.compile(r"rgb\(230, 97, 1\)")
    )
    page.wait_for_function(f"() => {DRAWN}.length >= 2")
    after = _heatmap_colours(page)
    # Same layout: the remounted views still fill the page's width.
    expect(page.get_by_test_id("overview")).to_have_js_property("offsetWidth", width)
    assert len(after) > 50
    assert not _off_ramp(after, ORANGE_PURPLE)
    assert _off_ramp(after, RED_BLUE)
    shot(page, "inputs-10-colour-blind-palette")
    # Remembered on this computer: a reload keeps it.
    page.reload()
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("palette-toggle")).to_be_checked()
    page.wait_for_function(f"() => {DRAWN}.length >= 1")
    assert not _off_ramp(_heatmap_colours(page), ORANGE_PURPLE)
    page.get_by_test_id("palette-toggle").uncheck()
    page.wait_for_function(f"() => {DRAWN}.length >= 2")
    assert not _off_ramp(_heatmap_colours(page), RED_BLUE)


# --- Keyboard ------------------------------------------------------------------------------


FOCUSED_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    id: el.dataset.testid || el.dataset.layer && `${el.dataset.layer}:${el.dataset.neuron}`
        || el.dataset.example && 'example' || el.getAttribute('role') || el.tagName,
    label: el.getAttribute('aria-label') || el.labels?.[0]?.textContent || el.textContent,
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def test_keyboard_reaches_every_control_and_neuron(spa: GatewayThread, page: Page) -> None:
    open_explorer(page, spa.url + "/")
    seen: dict[str, dict[str, object]] = {}
    page.locator("body").click(position={"x": 1, "y": 1})
    for _ in range(150):  # every control and neuron, the skip link first
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        if focused["id"] == "BODY":  # past the last control: round to the browser
            break
        seen.setdefault(str(focused["id"]), focused)
    for control in (
        "tab-explorer",
        "channel-red",
        "class-select",
        "example",
        "file-input",
        "palette-toggle",
        "open-camera",
        "input:0",
    ):
        assert control in seen, (control, list(seen))
    # Rows of controls are one Tab stop each (toolbars): the arrow keys reach the rest.
    assert "channel-blue" not in seen and "open-drawing" not in seen, list(seen)
    for first, key, rest in (
        ("channel-red", "End", "channel-blue"),
        ("open-camera", "ArrowRight", "open-drawing"),
    ):
        page.get_by_test_id(first).focus()
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED_JS)
        assert focused["id"] == rest, focused
        seen[rest] = focused
    # The overview is one Tab stop (roving tabindex): its neurons are reached with the
    # arrow keys from there, every one of them, each with a visible focus.
    page.locator('[data-layer="input"][data-neuron="0"]').focus()
    for key in ["ArrowRight"] + ["ArrowDown"] * 9 + ["ArrowRight"] * 9 + ["ArrowUp"] * 9:
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED_JS)
        seen.setdefault(str(focused["id"]), focused)
    for neuron in ("conv_1_1:0", "conv_1_1:9", "relu_1_1:9", "max_pool_2:9", "max_pool_2:0"):
        assert neuron in seen, (neuron, list(seen))
    # Focus is visible on each (a 2 px or wider outline).
    not_visible = [key for key, focused in seen.items() if not focused["outline"]]
    assert not not_visible, not_visible
    # Screen readers hear layer, neuron and values.
    assert re.match(r"conv_1_1, neuron 1: values from \S+ to \S+", str(seen["conv_1_1:0"]["label"]))
    # A conv neuron opens with Enter; the colour scale radios move with the arrows.
    page.locator('[data-layer="conv_1_2"][data-neuron="2"]').focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"neuron=conv_1_2%3A2"))
    page.get_by_label("Unit", exact=True).focus()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"scope=module"))
    # Tabs by keyboard: the playground opens, its output is reachable.
    page.get_by_test_id("tab-explorer").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("playground")).to_be_visible()
    expect(page.get_by_test_id("tab-playground")).to_be_focused()
    shot(page, "inputs-11-keyboard-playground")


def test_a_skip_link_reaches_the_first_neuron_in_two_keys(spa: GatewayThread, page: Page) -> None:
    """Issue 15: 42 Tabs to the first neuron, no skip link (layout: test_spa_layout_e2e.py)."""
    open_explorer(page, spa.url + "/")
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the network")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0  # on screen once it has focus
    shot(page, "inputs-12-skip-link")
    page.keyboard.press("Enter")
    first = page.locator('[data-testid="overview"] button.neuron').first
    expect(first).to_be_focused()
    assert page.evaluate("() => document.activeElement.dataset.layer") == "input"
    # The overview is one Tab stop: the arrow keys go on through the network, Tab past it.
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.dataset.layer") == "conv_1_1"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.layer") is None


# --- Tablet and small screens --------------------------------------------------------------


def _no_horizontal_page_scroll(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], width


def test_laptop_1280x720(spa: GatewayThread, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    open_explorer(page, spa.url + "/")
    _no_horizontal_page_scroll(page)
    overview = page.get_by_test_id("overview").bounding_box()
    assert overview and overview["x"] + overview["width"] <= 1280
    shot(page, "inputs-12-laptop-1280x720")
    page.get_by_test_id("open-drawing").click()
    _no_horizontal_page_scroll(page)
    shot(page, "inputs-13-laptop-drawing")
    context.close()


def _tablet(browser: Browser) -> BrowserContext:
    return browser.new_context(
        viewport={"width": 1024, "height": 768}, has_touch=True, is_mobile=False
    )


def test_tablet_tap_works_where_hover_does(spa: GatewayThread, browser: Browser) -> None:
    context = _tablet(browser)
    page = context.new_page()
    open_explorer(page, spa.url + "/")
    _no_horizontal_page_scroll(page)
    # A tap does what hover and click do: names the neuron and lights its edge, or opens
    # the neuron's view where a click opens one.
    page.locator('[data-layer="relu_2_1"][data-neuron="3"]').tap()
    page.wait_for_function(
        """() => document.querySelector('[data-testid=neuron-info]').textContent
                   .includes('relu_2_1 (relu), neuron 4')
              || location.search.includes('neuron=relu_2_1%3A3')"""
    )
    shot(page, "inputs-14-tablet-tap-relu")
    # The ReLU detail opened over the page (a modal overlay): a tap on its close button
    # closes it, and the page answers taps again.
    detail = page.get_by_test_id("relu-detail")
    expect(detail).to_be_visible(timeout=30_000)
    detail.get_by_test_id("close-detail").tap()
    expect(detail).to_have_count(0)
    page.locator("[data-class]").nth(3).tap()
    expect(page).to_have_url(re.compile(r"neuron=softmax%3A3"))
    page.locator('[data-layer="conv_2_1"][data-neuron="1"]').tap()
    expect(page).to_have_url(re.compile(r"neuron=conv_2_1%3A1"))
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    shot(page, "inputs-15-tablet-tap-conv")
    # A finger draws too (pointer events), and the playground's output answers a tap.
    page.get_by_test_id("open-drawing").tap()
    canvas = page.get_by_test_id("drawing-canvas")
    canvas.tap(position={"x": 128, "y": 128})
    expect(canvas).to_have_attribute("aria-label", re.compile("1 stroke so far"))
    page.get_by_test_id("tab-playground").tap()
    page.get_by_test_id("playground-output").locator('[data-row="2"][data-col="0"]').tap()
    expect(page.get_by_test_id("playground-sum")).to_contain_text("row 3, column 1")
    shot(page, "inputs-16-tablet-playground")
    context.close()


INPUT_COLOURS_JS = """() => {
  const seen = new Set();
  for (const canvas of document.querySelectorAll('[data-layer="input"] canvas')) {
    const { width, height } = canvas;
    const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    for (let i = 0; i < data.length; i += 4) seen.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
  }
  return [...seen].map((text) => text.split(',').map(Number));
}"""


def test_input_channels_in_grey(spa: GatewayThread, page: Page) -> None:
    """The paper's grey option: each input channel black to white instead of to a primary."""
    open_explorer(page, spa.url + "/")
    coloured = page.evaluate(INPUT_COLOURS_JS)
    assert len(coloured) > 20 and any(len({r, g, b}) > 1 for r, g, b in coloured)
    # The help beside the views says what the squares show, in the style they are drawn in.
    expect(page.get_by_test_id("input-legend-text")).to_contain_text("black to red")
    page.get_by_test_id("input-grey-toggle").check()
    expect(page.get_by_test_id("input-legend-text")).to_contain_text("black to white")
    page.wait_for_function(f"() => {DRAWN}.length >= 2")
    grey = page.evaluate(INPUT_COLOURS_JS)
    assert len(grey) > 20 and all(r == g == b for r, g, b in grey), grey[:5]
    expect(page.get_by_test_id("input-legend").locator(".legend-bar").first).to_have_attribute(
        "style", re.compile(r"rgb\(255, 255, 255\)")
    )
    shot(page, "inputs-11-grey-input")
    # Remembered like the palette.
    page.reload()
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("input-grey-toggle")).to_be_checked()
    page.wait_for_function(f"() => {DRAWN}.length >= 1")
    assert all(r == g == b for r, g, b in page.evaluate(INPUT_COLOURS_JS))

"""The overview's layout and keyboard at classroom screen sizes (issue 15, parts 4 and 5).

At 1024 x 768 (a tablet), 1280 x 720 (a laptop) and 1400 x 900: no two column titles
overlap and their text is at least 12 px, the maps fill the width, the overview starts
within the first screen, the overview is one Tab stop (roving tabindex) reached in a few
Tabs, the arrow keys move between neurons, Enter opens one, and axe-core finds no serious
or critical violation in the overview.

axe-core (4.14: its label-content-name-mismatch rule found the class rows' names) is read
from ``CNN101_AXE_JS`` or ``frontend/node_modules/axe-core/axe.min.js`` (a devDependency of
the SPA, so ``npm ci`` installs it); without it the axe test fails. Screenshots go to
/tmp/cnn101-spa/ (``layout-*.png``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.serving.browser import SHOTS, open_explorer, shot
from tests.serving.stack import GatewayThread

SIZES = [(1024, 768), (1280, 720), (1400, 900)]
SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]
AXE_JS = Path(
    os.environ.get(
        "CNN101_AXE_JS",
        Path(__file__).resolve().parents[2] / "frontend/node_modules/axe-core/axe.min.js",
    )
)

TITLES_JS = """() => [...document.querySelectorAll('.column-title')].map((el) => {
  const box = el.getBoundingClientRect();
  const name = el.querySelector('.column-name');
  const range = document.createRange();
  range.selectNodeContents(name);
  const text = range.getBoundingClientRect();
  return {
    column: el.dataset.column, left: box.left, right: box.right, top: box.top,
    bottom: box.bottom, textLeft: text.left, textRight: text.right,
    nameSize: parseFloat(getComputedStyle(name).fontSize),
    shapeSize: parseFloat(getComputedStyle(el.querySelector('.column-shape')).fontSize),
  };
})"""

MAPS_TOP_JS = """() => Math.min(...[...document.querySelectorAll(
  '[data-testid=overview] button.neuron')].map((el) => el.getBoundingClientRect().top))"""


def _open(
    browser: Browser, spa: GatewayThread, width: int, height: int, bypass_csp: bool = False
) -> Page:
    # axe is injected as a script: the page's Content-Security-Policy would refuse it.
    context = browser.new_context(
        viewport={"width": width, "height": height}, bypass_csp=bypass_csp
    )
    page = context.new_page()
    open_explorer(page, spa.url + "/")
    return page


def _overlapping(titles: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The pairs of column titles whose boxes intersect."""
    return [
        (a["column"], b["column"])
        for i, a in enumerate(titles)
        for b in titles[i + 1 :]
        if _intersect(a, b)
    ]


def _intersect(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


@pytest.mark.parametrize(("width", "height"), SIZES, ids=SIZE_IDS)
def test_titles_do_not_overlap_and_the_overview_starts_on_the_first_screen(
    spa: GatewayThread, browser: Browser, width: int, height: int
) -> None:
    page = _open(browser, spa, width, height)
    page.mouse.move(0, 0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"layout-{width}x{height}-screen.png"))  # the first screen
    shot(page, f"layout-{width}x{height}")
    titles: list[dict[str, Any]] = page.evaluate(TITLES_JS)
    assert len(titles) == 12  # input, ten map layers, output
    overlaps = _overlapping(titles)
    assert not overlaps, overlaps
    for title in titles:
        # The text stays inside its own box (it wraps rather than spills) and is readable.
        assert title["textLeft"] >= title["left"] - 0.5, title
        assert title["textRight"] <= title["right"] + 0.5, title
        assert title["nameSize"] >= 12 and title["shapeSize"] >= 12, title
    overview = page.get_by_test_id("overview").bounding_box()
    main = page.locator("main").bounding_box()
    assert overview is not None and main is not None
    # The overview starts within the first screen, well above its middle at 1024 x 768.
    assert overview["y"] < height * 0.45, overview
    if (width, height) == (1024, 768):
        assert overview["y"] < 300, overview
    # No empty band above the maps: they start right under the titles.
    maps_top = page.evaluate(MAPS_TOP_JS)
    assert maps_top - overview["y"] < 80, (maps_top, overview)
    # It fills the width it has, and the maps grow with it.
    assert overview["width"] >= main["width"] - 24, (overview, main)
    node = page.locator('[data-layer="conv_1_1"][data-neuron="0"]').bounding_box()
    assert node is not None and node["width"] >= 44, node
    legend_ticks = page.locator(".legend-tick, .legend-ticks-narrow").evaluate_all(
        "els => els.map((el) => parseFloat(getComputedStyle(el).fontSize))"
    )
    assert legend_ticks and min(legend_ticks) >= 12, legend_ticks
    # Every class name is shown whole (the top class's in bold), not cut to "bell pep…".
    cut = page.locator(".class-label").evaluate_all(CUT_TEXT_JS)
    assert cut == [], cut
    page.context.close()


FOCUS_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    layer: el.dataset.layer ?? (el.dataset.class ? 'output' : null),
    index: el.dataset.index === undefined ? null : Number(el.dataset.index),
    label: el.getAttribute('aria-label'),
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
  };
}"""


# Texts wider, in their own font, than the box that shows them (an ellipsis hides the rest;
# Chromium's scrollWidth does not count it).
CUT_TEXT_JS = """els => {
  const context = document.createElement('canvas').getContext('2d');
  return els.filter((el) => {
    context.font = getComputedStyle(el).font;
    return context.measureText(el.textContent).width > el.getBoundingClientRect().width + 0.5;
  }).map((el) => el.textContent);
}"""

# Column names with a piece (split before each underscore) wider than the title's box: the
# browser would have to break inside it ("inpu" / "t").
WORDS_CUT_JS = """() => {
  const context = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('.column-title')].filter((title) => {
    const name = title.querySelector('.column-name');
    context.font = getComputedStyle(name).font;
    const room = title.getBoundingClientRect().width;
    return name.textContent.split(/(?=_)/).some((p) => context.measureText(p).width > room);
  }).map((title) => title.textContent);
}"""

IN_OVERVIEW = "() => document.activeElement.matches('[data-testid=overview] *')"


def _tabs_to_first_neuron(page: Page, skip: bool, limit: int = 80) -> int:
    """Tabs from the top of the page until a neuron has the focus; with ``skip``, the
    skip link is followed (Enter) as soon as Tab reaches it."""
    page.locator("body").click(position={"x": 1, "y": 1})
    for count in range(1, limit + 1):
        page.keyboard.press("Tab")
        if skip and page.evaluate("() => document.activeElement.matches('.skip-link')"):
            page.keyboard.press("Enter")
        if page.evaluate(IN_OVERVIEW):
            return count
    return limit + 1


@pytest.mark.parametrize(("width", "height"), SIZES, ids=SIZE_IDS)
def test_the_overview_is_one_tab_stop_moved_through_with_the_arrows(
    spa: GatewayThread, browser: Browser, width: int, height: int
) -> None:
    page = _open(browser, spa, width, height)
    # Only one neuron of the whole overview is in the Tab order.
    stops = page.locator("[data-testid=overview] [tabindex='0']")
    expect(stops).to_have_count(1)
    assert page.locator("[data-testid=overview] button[tabindex='-1']").count() >= 80
    # From the top of the page: the skip link is the first Tab stop, Enter goes on to the
    # overview's neuron. By Tabs alone every control above comes first; the example
    # thumbnails, the channel switches and the picture buttons are one stop per row.
    alone = _tabs_to_first_neuron(page, skip=False)
    assert alone <= 12, alone
    tabs = _tabs_to_first_neuron(page, skip=True)
    assert tabs <= 10, tabs
    print(f"Tabs to the first neuron at {width}x{height}: {tabs} (skip link), {alone} (Tab alone)")
    focused = page.evaluate(FOCUS_JS)
    assert focused["layer"] == "input" and focused["index"] == 0, focused
    assert focused["ring"], focused
    page.keyboard.press("Tab")  # one Tab leaves the overview: it is a single stop
    assert not page.evaluate(IN_OVERVIEW)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUS_JS)["layer"] == "input"

    # Right goes to the next layer, Down to the next neuron of the layer, Up and Left back.
    moves = [
        ("ArrowRight", "conv_1_1", 0),
        ("ArrowDown", "conv_1_1", 1),
        ("ArrowDown", "conv_1_1", 2),
        ("ArrowRight", "relu_1_1", 2),
        ("ArrowUp", "relu_1_1", 1),
        ("ArrowLeft", "conv_1_1", 1),
        ("ArrowUp", "conv_1_1", 0),
        ("ArrowUp", "conv_1_1", 0),  # the top stays the top
    ]
    for key, layer, index in moves:
        page.keyboard.press(key)
        focused = page.evaluate(FOCUS_JS)
        assert (focused["layer"], focused["index"]) == (layer, index), (key, focused)
        assert focused["ring"], focused
        assert re.match(rf"{layer}, neuron {index + 1}: values from", focused["label"]), focused
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("[data-testid=overview] [tabindex='0']")).to_have_count(1)
    shot(page, f"layout-{width}x{height}-focus")
    # The moved-to neuron is now the Tab stop: leaving and coming back returns to it.
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUS_JS)["index"] == 2
    # Enter opens it as a click does; Space too (on a ReLU neuron, its detail).
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"neuron=conv_1_1%3A2"))
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    page.keyboard.press("Escape")
    expect(page).not_to_have_url(re.compile(r"neuron="))
    page.locator('[data-layer="relu_1_1"][data-neuron="0"]').focus()
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"neuron=relu_1_1%3A0"))
    page.context.close()


def _axe(page: Page, selector: str) -> list[dict[str, Any]]:
    if not AXE_JS.is_file():
        raise AssertionError(f"axe-core is missing ({AXE_JS}): it is a devDependency, npm ci")
    page.add_script_tag(path=str(AXE_JS))
    result: dict[str, Any] = page.evaluate(
        "async (selector) => await axe.run(selector, {resultTypes: ['violations']})", selector
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(("width", "height"), SIZES, ids=SIZE_IDS)
def test_axe_finds_no_serious_violation_in_the_overview(
    spa: GatewayThread, browser: Browser, width: int, height: int
) -> None:
    page = _open(browser, spa, width, height, bypass_csp=True)
    assert _axe(page, ".overview-figure") == []
    # And with a neuron open: the columns it does not read step back (faded).
    page.locator('[data-layer="conv_1_2"][data-neuron="4"]').click()
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    expect(page.locator(".neuron-context").first).to_be_visible()
    # The view now opens inside the figure: axe reads its text once it has faded in (a
    # half-transparent word mid-fade is not what a student reads).
    page.wait_for_function(
        """() => document.getAnimations().every(
          (a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity)"""
    )
    assert _axe(page, ".overview-figure") == []
    page.context.close()


def test_at_200_percent_zoom_on_a_projector_nothing_is_cut(
    spa: GatewayThread, browser: Browser
) -> None:
    """A 1280 x 720 projector at 200 % zoom is a 640 x 360 page at two device pixels per
    pixel: the whole overview, the output's class names included, fits the main column."""
    context = browser.new_context(viewport={"width": 640, "height": 360}, device_scale_factor=2)
    page = context.new_page()
    open_explorer(page, spa.url + "/")
    shot(page, "layout-zoom200")
    overview = page.get_by_test_id("overview").bounding_box()
    main = page.locator("main").bounding_box()
    assert overview is not None and main is not None
    assert overview["x"] + overview["width"] <= main["x"] + main["width"] + 0.5, (overview, main)
    rows = page.locator(".class-row").evaluate_all(
        "els => els.map((el) => el.getBoundingClientRect().right)"
    )
    assert rows and max(rows) <= main["x"] + main["width"] + 0.5, (rows, main)
    assert page.locator(".class-label").evaluate_all(CUT_TEXT_JS) == []
    titles: list[dict[str, Any]] = page.evaluate(TITLES_JS)
    overlaps = _overlapping(titles)
    assert not overlaps, overlaps
    # Names break only before an underscore ("max" / "_pool" / "_1"), never inside a word.
    assert page.evaluate(WORDS_CUT_JS) == []
    node = page.locator('[data-layer="conv_1_1"][data-neuron="0"]').bounding_box()
    assert node is not None and node["width"] >= 20, node  # 40 device pixels
    context.close()

"""The views that open in place on a projector at 200 % browser zoom, in headless Chromium.

A 1280x720 projector at 200 % zoom leaves the page 640x360 CSS pixels. The overview and
its strip cannot both fit that height, so the page scrolls; what must hold is that nothing
is cut off sideways (no horizontal scrolling, every part of the strip inside the window's
width, the softmax panel stacked under the lens instead of squeezed beside it), that each
part can be scrolled to, and that focus and Escape work as at full size. Needs the built
app and Debian's chromium (see test_spa_e2e.py). Screenshots go to /tmp/cnn101-spa/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.serving.browser import SHOTS, overview_page
from tests.serving.stack import GatewayThread

#: 1280x720 at 200 % zoom: half the CSS pixels, twice the device pixels per CSS pixel.
ZOOMED: ViewportSize = {"width": 640, "height": 360}

# Horizontal extents of what the strip shows, and how far the page scrolls sideways.
SIDEWAYS = """(selector) => {
  const view = document.querySelector(selector);
  const parts = [...view.querySelectorAll(
    'button, table, .conv-legends, .flatten-lens, .softmax-panel, .softmax-formulas, p, h2')]
    .filter((element) => element.getClientRects().length > 0)
    .map((element) => { const b = element.getBoundingClientRect();
      return [element.tagName + '.' + element.className, b.left, b.right, b.top, b.bottom]; });
  return {
    parts,
    pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
    viewOverflow: view.scrollWidth - view.clientWidth,
    width: window.innerWidth,
  };
}"""


def _check_sideways(page: Page, selector: str) -> list[list[object]]:
    found = page.evaluate(SIDEWAYS, selector)
    assert found["pageOverflow"] <= 0, f"the page scrolls sideways by {found['pageOverflow']} px"
    assert found["viewOverflow"] <= 1, f"the strip overflows by {found['viewOverflow']} px"
    assert found["parts"], "nothing found in the strip"
    for name, left, right, _top, _bottom in found["parts"]:
        assert left >= -1 and right <= found["width"] + 1, (name, left, right, found["width"])
    parts: list[list[object]] = found["parts"]
    return parts


def _reachable(page: Page, selector: str) -> None:
    """Scrolled to, each of the strip's buttons lies wholly inside the window."""
    for button in page.locator(f"{selector} button").all():
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None
        assert box["y"] >= -1 and box["y"] + box["height"] <= ZOOMED["height"] + 1, box


def test_the_class_view_at_200_percent_zoom(spa: GatewayThread, browser: Browser) -> None:
    page = overview_page(browser, spa.url + "/", **ZOOMED, reduced=True, scale=2)
    row = page.locator(".overview [data-class]").nth(3)
    row.click()
    view = page.get_by_test_id("flatten-view")
    expect(view.get_by_test_id("flatten-group")).to_have_count(10, timeout=30_000)
    assert view.evaluate("(root) => root.contains(document.activeElement)")
    # The selected class row is on screen after opening.
    box = row.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= ZOOMED["height"]
    parts = _check_sideways(page, '[data-testid="flatten-view"]')
    # Too narrow for both side by side: the softmax panel goes under the lens.
    lens = next(part for part in parts if "flatten-lens" in str(part[0]))
    panel = next(part for part in parts if "softmax-panel" in str(part[0]))
    assert float(str(panel[3])) >= float(str(lens[4])) - 1, (lens, panel)
    _reachable(page, '[data-testid="flatten-view"]')
    SHOTS.mkdir(parents=True, exist_ok=True)
    view.screenshot(path=str(SHOTS / "inplace-flatten-zoom200.png"))
    page.keyboard.press("Escape")
    expect(view).to_have_count(0)
    expect(row).to_be_focused()
    expect(page).not_to_have_url(re.compile(r"neuron="))
    page.context.close()


@pytest.mark.parametrize("layer", ["conv_2_1", "conv_1_1"])
def test_the_conv_view_at_200_percent_zoom(
    spa: GatewayThread, browser: Browser, layer: str
) -> None:
    page = overview_page(browser, spa.url + "/", **ZOOMED, reduced=True, scale=2)
    neuron = page.locator(f'.overview [data-layer="{layer}"][data-neuron="1"]')
    neuron.click()
    view = page.get_by_test_id("conv-view")
    expect(view.locator(".conv-row")).to_have_count(
        3 if layer == "conv_1_1" else 10, timeout=30_000
    )
    assert view.evaluate("(root) => root.contains(document.activeElement)")
    _check_sideways(page, '[data-testid="conv-view"]')
    _reachable(page, '[data-testid="conv-view"]')
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"inplace-{layer}-zoom200.png"))
    page.keyboard.press("Escape")
    expect(view).to_have_count(0)
    expect(neuron).to_be_focused()
    page.context.close()

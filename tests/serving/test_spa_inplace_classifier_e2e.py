"""The class view (flatten + softmax) opens in place, inside the overview, in headless Chromium.

A gap opens between the last map column and the output column; each source channel's group
of flatten lines lines up with that channel's neuron; the edges run from the lines to the
class row without crossing a map; the lens, readout and softmax panel sit in the strip right
under the overview, all on one screen; focus moves in and Escape brings it back. Needs the
built app and Debian's chromium (see test_spa_e2e.py). Screenshots go to /tmp/cnn101-spa/.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.serving.browser import SHOTS, centre_y, inside, overview_page, settle, strictly_in
from tests.serving.stack import GatewayThread

SIZES = [(1400, 900), (1280, 720), (1024, 768)]

SETTLED = """() => new Promise((done) => {
  const y = scrollY;
  setTimeout(() => done(scrollY === y
    && document.getAnimations().every((a) => a.playState !== 'running'
      || a.effect.getTiming().iterations === Infinity)), 200);
})"""

MOVING = """() => document.getAnimations().filter((a) => a.playState === 'running'
  && a.effect.getTiming().iterations !== Infinity).length"""

# Everything the in-place view draws, in client coordinates; a sample of edges, sampled.
GEOMETRY = """([source, klass]) => {
  const box = (element) => { const b = element.getBoundingClientRect();
    return [b.left, b.top, b.right, b.bottom]; };
  const all = (selector) => [...document.querySelectorAll(selector)].map(box);
  const lines = [...document.querySelectorAll('.flatten-edges line')];
  const step = Math.max(1, Math.floor(lines.length / 60));
  const edges = lines.filter((_, i) => i % step === 0 || i === lines.length - 1).map((line) => {
    const matrix = line.getScreenCTM();
    const points = [];
    for (let i = 0; i <= 20; i++) {
      const t = i / 20;
      const p = new DOMPoint(
        line.x1.baseVal.value + t * (line.x2.baseVal.value - line.x1.baseVal.value),
        line.y1.baseVal.value + t * (line.y2.baseVal.value - line.y1.baseVal.value),
      ).matrixTransform(matrix);
      points.push([p.x, p.y]);
    }
    return points;
  });
  return {
    overview: box(document.querySelector('[data-testid="overview"]')),
    view: box(document.querySelector('[data-testid="flatten-view"]')),
    sources: all(`.overview [data-layer="${source}"]`),
    maps: all('.overview [data-layer]'),
    klass: box(document.querySelectorAll('.overview [data-class]')[klass]),
    groups: all('[data-testid="flatten-group"]'),
    lens: box(document.querySelector('[data-testid="flatten-lens"]')),
    softmax: box(document.querySelector('[data-testid="softmax-view"]')),
    buttons: all('[data-testid="close-flatten"], [data-testid="open-softmax-detail"]'),
    edges,
    viewport: [window.innerWidth, window.innerHeight],
    overflow: (() => { const view = document.querySelector('[data-testid="flatten-view"]');
      return view.scrollWidth - view.clientWidth; })(),
  };
}"""


def _check_in_place(geometry: dict[str, Any], channels: int) -> None:
    overview = geometry["overview"]
    width, height = geometry["viewport"]
    groups = geometry["groups"]
    sources = geometry["sources"]
    assert len(groups) == channels and len(sources) == channels
    # Each group inside the overview, on its source neuron's row, right of it.
    for source, group in zip(sources, groups, strict=True):
        assert inside(group, overview), (group, overview)
        assert abs(centre_y(source) - centre_y(group)) <= 2, (source, group)
        assert source[2] < group[0] < geometry["klass"][0]
    # The class row is still in the overview, at its right edge.
    klass = geometry["klass"]
    assert inside(klass, overview)
    assert overview[2] - klass[2] <= 40, (klass, overview)
    # The strip (lens, readout, softmax, controls) right under the overview, both whole on
    # screen (the maps shrink to make room), and nothing in the strip runs past its edge.
    assert geometry["view"][1] >= overview[3] - 1, "the strip is not under the overview"
    screen = [0, 0, width, height]
    assert inside(overview, screen), (overview, screen)
    for part in [geometry["view"], klass, geometry["lens"], geometry["softmax"]]:
        assert inside(part, screen), (part, screen)
    for part in geometry["buttons"]:
        assert inside(part, screen), (part, screen)
    assert geometry["overflow"] <= 1, f"the strip's content overflows by {geometry['overflow']} px"
    # No edge passes through a map or another class row (its ends touch the line and the row).
    assert len(geometry["edges"]) >= 20
    for points in geometry["edges"]:
        assert abs(points[-1][1] - centre_y(klass)) <= 3, (points[-1], klass)
        for point in points[1:-1]:
            for box in geometry["maps"]:
                assert not strictly_in(point, box), (point, box)


def _open_class(page: Page, klass: int, channels: int, source: str, shot: str) -> None:
    """Click a class, trace a pixel, check the view in place (screenshot `shot` first)."""
    row = page.locator("[data-class]").nth(klass)
    left = f"() => document.querySelector('.overview [data-layer=\"{source}\"]').offsetLeft"
    before = page.evaluate(left)
    row.click()
    view = page.get_by_test_id("flatten-view")
    expect(view.get_by_test_id("flatten-group")).to_have_count(channels, timeout=30_000)
    # Focus moves into the view.
    assert view.evaluate("(root) => root.contains(document.activeElement)")
    settle(page, SETTLED)
    # The map columns closed up (shrinking if need be) to make room before the output.
    assert page.evaluate(left) < before
    # Hover tracing: a pixel of the overview's map traces its line and its edge; the lens reads it.
    target = page.locator(f'.overview [data-layer="{source}"]').nth(channels - 1)
    box = target.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    highlight = view.get_by_test_id("flatten-highlight")
    expect(highlight).to_have_attribute("data-index", str(channels - 1))
    expect(view.get_by_test_id("flatten-readout")).to_be_visible()
    expect(view.locator(".lens-row-traced")).to_have_count(1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / shot))
    _check_in_place(page.evaluate(GEOMETRY, [source, klass]), channels)


def _close(page: Page, klass: int) -> None:
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("flatten-view")).to_have_count(0)
    expect(page.locator("[data-class]").nth(klass)).to_be_focused()
    expect(page).not_to_have_url(re.compile(r"neuron="))


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_class_view_opens_inside_the_overview(
    spa: GatewayThread, browser: Browser, size: tuple[int, int]
) -> None:
    page = overview_page(browser, spa.url + "/", *size, reduced=False)
    settle(page, SETTLED)
    page.locator("[data-class]").nth(3).click()
    expect(page.get_by_test_id("flatten-group")).to_have_count(10, timeout=30_000)
    # It opens in motion: the columns slide, the view fades in.
    assert page.evaluate(MOVING) > 0
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("flatten-view")).to_have_count(0)
    settle(page, SETTLED)
    _open_class(page, 3, 10, "max_pool_2", f"inplace-flatten-{size[0]}.png")
    _close(page, 3)
    page.context.close()


def test_reduced_motion_keeps_it_still(spa: GatewayThread, browser: Browser) -> None:
    page = overview_page(browser, spa.url + "/", 1024, 768, reduced=True)
    page.locator("[data-class]").nth(6).focus()
    page.keyboard.press("Enter")
    view = page.get_by_test_id("flatten-view")
    expect(view.get_by_test_id("flatten-group")).to_have_count(10, timeout=30_000)
    assert page.evaluate("document.getAnimations().length") == 0
    assert view.evaluate("(root) => root.contains(document.activeElement)")
    _close(page, 6)
    page.context.close()


def test_the_second_model_s_class_view_in_place(second_model: GatewayThread, page: Page) -> None:
    """small3 flattens 8 maps of 2x2 from its own last map layer."""
    page.set_viewport_size({"width": 1024, "height": 768})
    http = httpx.Client(base_url=second_model.url, timeout=60)
    layers = http.get("/api/models/small3").json()["description"]["layers"]
    flatten = next(layer for layer in layers if layer["type"] == "flatten")
    page.goto(second_model.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    settle(page, SETTLED)
    _open_class(page, 1, 8, flatten["input"], "inplace-flatten-small3-1024.png")
    _close(page, 1)

"""The overview opened in place, in headless Chromium: its faint edges slide with the maps,
and its maps under the class view still name themselves when hovered.

When a view opens in place the columns slide apart (a 0.45 s CSS transition); the faint
edges must follow them, not jump to where they end (Edges.tsx, views.css), and stay still
with reduced motion. The class view lays a pointer-catching layer over the last map
column (for its tracing); the overview's info line must still read the neuron under it.
Needs the built app and Debian's chromium (see test_spa_e2e.py).
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.serving.browser import overview_page
from tests.serving.stack import GatewayThread

# The faint edges from conv_2_1 into relu_2_1: both columns move when conv_2_1's view opens.
EDGE = '.overview .edge[data-edges-into="relu_2_1"]'
CONV_NEURON = '.overview [data-layer="conv_2_1"]'
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")

# Until the finite transitions are over (the endlessly flowing dashes aside).
SETTLED = """() => document.getAnimations().every((a) => a.playState !== 'running'
  || a.effect.getTiming().iterations === Infinity)"""

# Clicks a conv neuron and follows the edge path's computed `d` frame by frame for a second
# from the first frame it changed (ms since then, `d`), and which properties the CSS
# transitions then running on the overview's edges and neurons animate.
CLICK_AND_FOLLOW = """async ([edge, neuron]) => {
  const path = document.querySelector(edge);
  const d = () => getComputedStyle(path).d;
  const transitions = new Set();
  const note = () => document.getAnimations()
    .filter((a) => a instanceof CSSTransition && a.playState === 'running')
    .filter((a) => a.effect.target.matches('.overview .edge, .overview .neuron'))
    .forEach((a) => transitions.add(a.transitionProperty));
  const frame = () => new Promise(requestAnimationFrame);
  const start = d();
  document.querySelectorAll(neuron)[3].click();
  const deadline = performance.now() + 5000;
  while (d() === start && performance.now() < deadline) await frame();
  const moved = performance.now();
  const frames = [];
  while (d() !== start && performance.now() < moved + 1000) {
    frames.push([performance.now() - moved, d()]);
    note();
    await frame();
  }
  return { start, frames, transitions: [...transitions] };
}"""


def _open(browser: Browser, spa: GatewayThread, reduced: bool) -> Page:
    page = overview_page(browser, spa.url + "/", 1400, 900, reduced=reduced)
    page.wait_for_function(SETTLED)
    return page


def _numbers(d: str) -> list[float]:
    """The coordinates of a computed `d` (`path("M1,2C...")`), in order."""
    return [float(number) for number in NUMBER.findall(d)]


def test_faint_edges_slide_with_the_maps(spa: GatewayThread, browser: Browser) -> None:
    page = _open(browser, spa, reduced=False)
    followed: dict[str, Any] = page.evaluate(CLICK_AND_FOLLOW, [EDGE, CONV_NEURON])
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    page.wait_for_function(SETTLED)
    end = page.evaluate(f"() => getComputedStyle(document.querySelector('{EDGE}')).d")
    assert followed["frames"], "the edges never moved"
    # ~150 ms into the 0.45 s slide (the frame nearest to it).
    _, sampled = min(followed["frames"], key=lambda frame: abs(frame[0] - 150))
    start, sample, final = (_numbers(d) for d in (followed["start"], sampled, end))
    # Same commands all along (else the browser cannot interpolate), and moved in the end.
    assert len(start) == len(sample) == len(final) > 0
    assert start != final
    # On their way: neither where they started nor where they end, every coordinate between.
    assert sample not in (start, final), "the edges jumped instead of sliding"
    for before, now, after in zip(start, sample, final, strict=True):
        assert min(before, after) - 0.01 <= now <= max(before, after) + 0.01
    # They slide as the maps do: a transition on `d`, with one on the neurons' `left`.
    assert {"d", "left"} <= set(followed["transitions"])
    # The edges into the neuron's column fade out but stay (the paths never change).
    hidden = page.locator('.overview .edge[data-edges-into="conv_2_1"]')
    expect(hidden).to_have_css("opacity", "0")
    page.context.close()


def test_reduced_motion_moves_the_edges_at_once(spa: GatewayThread, browser: Browser) -> None:
    page = _open(browser, spa, reduced=True)
    followed: dict[str, Any] = page.evaluate(CLICK_AND_FOLLOW, [EDGE, CONV_NEURON])
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    assert followed["frames"], "the edges never moved"
    assert followed["transitions"] == []
    expect(page.locator(EDGE)).to_have_css("transition-duration", "0s")
    page.context.close()


def test_hovering_a_map_under_the_class_view_names_it(spa: GatewayThread, browser: Browser) -> None:
    page = _open(browser, spa, reduced=False)
    page.locator(".overview [data-class]").nth(3).click()
    view = page.get_by_test_id("flatten-view")
    expect(view.get_by_test_id("flatten-group")).to_have_count(10, timeout=30_000)
    page.wait_for_function(SETTLED)
    info = page.get_by_test_id("neuron-info")
    neuron = page.locator('.overview [data-layer="max_pool_2"]').nth(4)
    box = neuron.bounding_box()
    assert box is not None
    # The class view's layer lies over the map (Playwright's hover would refuse it): the mouse.
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(info).to_contain_text(re.compile(r"max_pool_2 \(max_pool\), neuron 5 \(\d+\u00d7\d+\)"))
    expect(info).to_contain_text(re.compile(r"values from -?[\d.]+ to -?[\d.]+"))
    # The class view still traces the pixel under the pointer (channel 4 of 10) in its lens.
    highlight = view.get_by_test_id("flatten-highlight")
    expect(highlight).to_have_attribute("data-index", re.compile(r"^\d*4$"))
    expect(view.locator(".lens-row-traced")).to_have_count(1)
    # Off the maps, the line invites to hover again.
    page.mouse.move(box["x"] + box["width"] / 2, 2)
    expect(info).to_contain_text("Hover over")
    page.context.close()

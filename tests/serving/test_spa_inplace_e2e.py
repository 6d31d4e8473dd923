"""The convolutional intermediate view opens in place, inside the overview, in headless Chromium.

A gap opens between the conv layer's input column and its own column; one row per input
channel lines up with that channel's neuron; dashed edges run between the maps, never
through one; the controls and legends sit right under the overview, all on one screen.
Needs the built app and Debian's chromium (see test_spa_e2e.py). Screenshots go to
/tmp/cnn101-spa/ to be looked at.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.serving.browser import SHOTS, centre_y, inside, overview_page, settle, strictly_in
from tests.serving.stack import GatewayThread

SIZES = [(1400, 900), (1280, 720), (1024, 768)]

# Until transitions are over (the endlessly flowing dashes aside).
SETTLED = """() => new Promise((done) => setTimeout(() => done(
  document.getAnimations().every((a) => a.playState !== 'running'
    || a.effect.getTiming().iterations === Infinity)), 150))"""

# How many finite animations and transitions run now.
MOVING = """() => document.getAnimations().filter((a) => a.playState === 'running'
  && a.effect.getTiming().iterations !== Infinity).length"""

# Boxes of the overview's neurons of a layer, relative to the overview (the page may scroll).
NEURONS = """(layer) => {
  const o = document.querySelector('[data-testid="overview"]').getBoundingClientRect();
  return [...document.querySelectorAll(`.overview [data-layer="${layer}"]`)]
    .map((element) => { const b = element.getBoundingClientRect();
      return [b.left - o.left, b.top - o.top, b.right - o.left, b.bottom - o.top]; });
}"""

# Everything the in-place view draws, in client coordinates, and the dashed edges sampled.
GEOMETRY = """([source, target, neuron]) => {
  const box = (element) => { const b = element.getBoundingClientRect();
    return [b.left, b.top, b.right, b.bottom]; };
  const all = (selector) => [...document.querySelectorAll(selector)].map(box);
  const edges = [...document.querySelectorAll('.flow-edge')].map((path) => {
    const matrix = path.getScreenCTM();
    const length = path.getTotalLength();
    const points = [];
    for (let i = 0; i <= 40; i++) {
      const p = path.getPointAtLength((length * i) / 40).matrixTransform(matrix);
      points.push([p.x, p.y]);
    }
    return points;
  });
  return {
    overview: box(document.querySelector('[data-testid="overview"]')),
    view: box(document.querySelector('[data-testid="conv-view"]')),
    sources: all(`.overview [data-layer="${source}"]`),
    target: box(document.querySelector(
      `.overview [data-layer="${target}"][data-neuron="${neuron}"]`)),
    intermediates: all('[data-testid="intermediate-map"]'),
    kernels: all('[data-testid="kernel-slice"]'),
    sum: all('[data-testid="bias-glyph"]'),
    sumParts: all('[data-testid="bias-glyph"] > *'),
    edges,
    scrollY: window.scrollY,
    viewport: [window.innerWidth, window.innerHeight],
  };
}"""


def _check_in_place(geometry: dict[str, Any], channels: int) -> None:
    overview = geometry["overview"]
    width, height = geometry["viewport"]
    intermediates = geometry["intermediates"]
    kernels = geometry["kernels"]
    assert len(intermediates) == channels and len(kernels) == channels
    assert len(geometry["sources"]) == channels
    # The view's maps are inside the overview, each row on its input neuron's row.
    for box in [*intermediates, *kernels, *geometry["sum"]]:
        assert inside(box, overview), (box, overview)
    for source, intermediate, kernel in zip(
        geometry["sources"], intermediates, kernels, strict=True
    ):
        assert abs(centre_y(source) - centre_y(intermediate)) <= 2, (source, intermediate)
        assert abs(centre_y(source) - centre_y(kernel)) <= 2, (source, kernel)
        # The gap lies between the input column and the selected neuron.
        assert source[2] < kernel[0] < kernel[2] < intermediate[0]
        assert intermediate[2] < geometry["target"][0]
    assert len(geometry["sum"]) == 1
    assert intermediates[0][2] < geometry["sum"][0][0] < geometry["target"][0]
    # The selected neuron is still in the overview; view and strip are on screen, the
    # overview's top too.
    assert inside(geometry["target"], overview)
    assert overview[1] >= 0, "the overview's top scrolled off the screen"
    assert geometry["view"][1] >= overview[3] - 1, "the strip is not under the overview"
    assert inside(overview, [0, 0, width, height]), (overview, width, height)
    assert inside(geometry["view"], [0, 0, width, height]), (geometry["view"], height)
    # No dashed edge passes through a map (its own ends touch the maps they join).
    maps = [
        *geometry["sources"],
        *intermediates,
        *kernels,
        *geometry["sumParts"],
        geometry["target"],
    ]
    assert len(geometry["edges"]) >= 3 * channels + 1
    for points in geometry["edges"]:
        for point in points[1:-1]:
            for box in maps:
                assert not strictly_in(point, box), (point, box)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_conv_view_opens_inside_the_overview(
    spa: GatewayThread, browser: Browser, size: tuple[int, int]
) -> None:
    page = overview_page(browser, spa.url + "/", *size, reduced=False)
    cases = [("conv_2_1", 3, "max_pool_1", 10), ("conv_1_1", 2, "input", 3)]
    for layer, neuron, source, channels in cases:
        settle(page, SETTLED, tries=60)
        before = page.evaluate(NEURONS, "relu_2_2")
        selector = f'.overview [data-layer="{layer}"][data-neuron="{neuron}"]'
        page.locator(selector).click()
        view = page.get_by_test_id("conv-view")
        expect(view.locator(".conv-row")).to_have_count(channels, timeout=30_000)
        # It opens in motion: the columns slide, the view fades in.
        assert page.evaluate(MOVING) > 0
        if size[0] == 1400 and layer == "conv_2_1":
            page.screenshot(path=str(SHOTS / "inplace-conv-opening.png"))
        # Focus moves into the view.
        assert view.evaluate("(root) => root.contains(document.activeElement)")
        # A faded column slid out of its place (the window paused: its moves are transitions).
        page.get_by_test_id("play-pause").click()
        settle(page, SETTLED, tries=60)
        assert page.evaluate(NEURONS, "relu_2_2") != before
        name = "inplace-conv11" if layer == "conv_1_1" else "inplace-conv"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{size[0]}.png"))
        _check_in_place(page.evaluate(GEOMETRY, [source, layer, neuron]), channels)
        # Escape closes it; focus goes back to the neuron, the columns to their places.
        page.keyboard.press("Escape")
        expect(view).to_have_count(0)
        expect(page.locator(selector)).to_be_focused()
        expect(page).not_to_have_url(re.compile(r"neuron="))
        settle(page, SETTLED, tries=60)
        assert page.evaluate(NEURONS, "relu_2_2") == before
    page.context.close()


def test_enter_opens_it_and_reduced_motion_keeps_it_still(
    spa: GatewayThread, browser: Browser
) -> None:
    page = overview_page(browser, spa.url + "/", 1024, 768, reduced=True)
    neuron = page.locator('.overview [data-layer="conv_1_2"][data-neuron="0"]')
    neuron.focus()
    page.keyboard.press("Enter")
    view = page.get_by_test_id("conv-view")
    expect(view.locator(".conv-row")).to_have_count(10, timeout=30_000)
    assert page.evaluate("document.getAnimations().length") == 0
    assert view.evaluate("(root) => root.contains(document.activeElement)")
    _check_in_place(page.evaluate(GEOMETRY, ["relu_1_1", "conv_1_2", 0]), 10)
    page.get_by_test_id("close-conv").click()
    expect(view).to_have_count(0)
    expect(neuron).to_be_focused()
    page.context.close()


def test_a_differently_shaped_model_opens_in_place_too(
    second_model: GatewayThread, browser: Browser
) -> None:
    """small3: 8 filters of 5x5 on 48x48 inputs, laid out from its own graph."""
    page = overview_page(browser, second_model.url + "/", 1024, 768, reduced=True)
    for layer, source, channels in (("conv_1_1", "input", 3), ("conv_3_1", "max_pool_2", 8)):
        page.locator(f'.overview [data-layer="{layer}"][data-neuron="2"]').click()
        view = page.get_by_test_id("conv-view")
        expect(view.locator(".conv-row")).to_have_count(channels, timeout=30_000)
        page.screenshot(path=str(SHOTS / f"inplace-second-model-{layer}-1024.png"))
        _check_in_place(page.evaluate(GEOMETRY, [source, layer, 2]), channels)
        page.keyboard.press("Escape")
        expect(view).to_have_count(0)
    page.context.close()

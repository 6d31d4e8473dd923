"""The flatten and softmax views (issue 15) in headless Chromium at 1400x900 and 1024x768.

The flatten fan shows one visible group of lines per source map, a gap between groups; its
lens magnifies single elements (at least 8 px a row) whose numbers are the stack's own
activations and the model's dense weights; pointing at a map pixel traces its element and
the readout stays in the window. Pointing at a softmax class traces its logit, its exp and
its term in the formula, and a screen never shows the softmax table twice. Screenshots
(the window, as the student sees it) go to /tmp/cnn101-spa/classifier-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from services.common.bundles import derive_layers, read_tensors
from tests.serving.browser import SHOTS, open_example, read_bundle
from tests.serving.stack import GatewayThread

VIEWPORTS = [(1400, 900), (1024, 768)]
# The lens in the strip under the overview (the view opens in place) shows 3 on each side.
LENS_RADIUS = 3

SETTLED = """() => new Promise((done) => {
  const y = scrollY;
  setTimeout(() => done(scrollY === y
    && document.getAnimations().every((a) => a.playState !== 'running'
      || a.effect.getTiming().iterations === Infinity)), 250);
})"""

# Every visible piece of text under an element whose font is under 12 px.
SMALL_TEXT = """(root) => {
  const small = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.trim();
    if (!text || !element || element.closest('title, .visually-hidden')) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const size = parseFloat(getComputedStyle(element).fontSize);
    if (size < 12) small.push(`${element.tagName} ${size}px: ${text.slice(0, 40)}`);
  }
  return small;
}"""


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


class Classifier:
    """What the flatten view of a class should show, from the stack's bundle and weights."""

    def __init__(self, http: httpx.Client, model: str, bundle: Any, class_index: int) -> None:
        described = http.get(f"/api/models/{model}").json()
        layers: list[dict[str, Any]] = described["description"]["layers"]
        flatten = next(layer for layer in layers if layer["type"] == "flatten")
        dense = next(
            layer
            for layer in layers
            if layer["type"] == "dense" and layer.get("input") == flatten["name"]
        )
        outputs = derive_layers(layers, read_tensors(bundle))
        self.source = outputs[flatten["input"]]
        self.flat = outputs[flatten["name"]]
        self.logits = outputs[dense["name"]].ravel()
        blob = http.get(described["weights_url"]).content
        entry = next(
            tensor
            for tensor in described["description"]["weights"]["tensors"]
            if tensor["layer"] == dense["name"] and tensor["name"] == "kernel"
        )
        kernel = np.frombuffer(
            blob, dtype="<f4", count=entry["length"] // 4, offset=entry["offset"]
        )
        self.weights = kernel.reshape(self.flat.size, -1)[:, class_index]

    @property
    def shape(self) -> tuple[int, int, int]:
        height, width, channels = self.source.shape
        return height, width, channels

    def index(self, y: int, x: int, channel: int) -> int:
        _, width, channels = self.shape
        return (y * width + x) * channels + channel


def _settle(tab: Page) -> None:
    for _ in range(120):  # 250 ms each
        if tab.evaluate(SETTLED):
            return
    raise AssertionError("transitions or scrolling never ended")


def _inside_viewport(tab: Page, element: Locator) -> None:
    box = element.bounding_box()
    size = tab.viewport_size
    assert box is not None and size is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] + 0.5, (box, size)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (box, size)


def _number(text: str) -> float:
    return float(text.replace("\u2212", "-").strip())


def _hover_map_pixel(view: Locator, channel: int, y: int, x: int, height: int) -> None:
    map_box = view.get_by_test_id("flatten-map").nth(channel)
    size = map_box.evaluate("el => el.clientWidth")
    cell = size / height
    map_box.hover(position={"x": (x + 0.5) * cell, "y": (y + 0.5) * cell})


def _check_groups(tab: Page, view: Locator, channels: int) -> None:
    """One group per channel, each drawn and in the window, a visible gap between them."""
    groups = view.get_by_test_id("flatten-group")
    expect(groups).to_have_count(channels)
    boxes = [groups.nth(i).bounding_box() for i in range(channels)]
    for i, box in enumerate(boxes):
        assert box is not None and box["height"] >= 20 and box["width"] >= 20, box
        _inside_viewport(tab, groups.nth(i))
        if i > 0:
            above = boxes[i - 1]
            assert above is not None
            # In place the groups sit on the overview's neuron rows, which are 4 px apart.
            assert box["y"] - (above["y"] + above["height"]) >= 3, (above, box)


def _check_lens(view: Locator, expected: Classifier, traced: int) -> None:
    """The lens around `traced`: single readable rows whose numbers are the stack's."""
    height, width, channels = expected.shape
    rows = view.get_by_test_id("lens-row")
    shown = min(height * width, 2 * LENS_RADIUS + 1)
    expect(rows).to_have_count(shown)
    marked = view.locator(".lens-row-traced")
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("data-index", str(traced))
    for i in range(shown):
        row = rows.nth(i)
        box = row.bounding_box()
        assert box is not None and box["height"] >= 8, box
        index = int(row.get_attribute("data-index") or "-1")
        assert index % channels == traced % channels  # the traced element's own group
        value = float(row.get_attribute("data-value") or "nan")
        weight = float(row.get_attribute("data-weight") or "nan")
        assert value == pytest.approx(float(expected.flat.ravel()[index]), rel=1e-6, abs=1e-7)
        assert weight == pytest.approx(float(expected.weights[index]), rel=1e-6, abs=1e-9)
        cells = row.locator("td").all_inner_texts()
        assert int(cells[0]) == index + 1
        assert _number(cells[2]) == pytest.approx(value, rel=1e-3, abs=1e-6)
        assert _number(cells[4]) == pytest.approx(weight, rel=1e-3, abs=1e-9)
        assert _number(cells[6]) == pytest.approx(value * weight, rel=1e-3, abs=1e-9)


def test_flatten_groups_lens_and_trace(spa: GatewayThread, sized: tuple[Page, str]) -> None:
    tab, size = sized
    http = httpx.Client(base_url=spa.url, timeout=60)
    bundle = open_example(tab, http, spa, class_index=2)
    expected = Classifier(http, "tiny_vgg", bundle, class_index=2)
    height, width, channels = expected.shape
    tab.locator("[data-class]").nth(2).click()
    view = tab.get_by_test_id("flatten-view")
    expect(view).to_be_visible(timeout=30_000)
    expect(view.locator(".flatten-line")).to_have_count(expected.flat.size)  # every element
    _settle(tab)
    _check_groups(tab, view, channels)

    # A map pixel traces its element: the highlight, the lens, the readout beside the fan.
    traced = expected.index(4, 7, 3)
    _hover_map_pixel(view, 3, 4, 7, height)
    expect(view.get_by_test_id("flatten-highlight")).to_have_attribute("data-index", str(traced))
    expect(view.get_by_test_id("flatten-pixel")).to_be_visible()
    _check_lens(view, expected, traced)
    readout = view.get_by_test_id("flatten-readout")
    expect(readout).to_contain_text("map 4, row 5, column 8")
    expect(readout).to_have_attribute("aria-live", "polite")
    _inside_viewport(tab, readout)
    _inside_viewport(tab, view.get_by_test_id("lens-table"))
    logit = view.get_by_test_id("logit-formula")
    assert float(logit.get_attribute("data-logit") or "nan") == pytest.approx(
        float(expected.logits[2]), abs=1e-4
    )
    _inside_viewport(tab, logit)
    tab.screenshot(path=str(SHOTS / f"classifier-{size.split('x')[0]}.png"))

    # Pointing into the lens traces its row and leaves the lens where it is.
    rows = view.get_by_test_id("lens-row")
    first = rows.first.get_attribute("data-index")
    rows.nth(2).hover()
    expect(view.get_by_test_id("flatten-highlight")).to_have_attribute(
        "data-index", rows.nth(2).get_attribute("data-index") or ""
    )
    expect(rows.first).to_have_attribute("data-index", first or "")

    # The lines of a group trace too: its middle is that channel's middle element.
    group = view.get_by_test_id("flatten-group").nth(5)
    group.hover()
    highlighted = int(view.get_by_test_id("flatten-highlight").get_attribute("data-index") or "-1")
    assert highlighted % channels == 5
    assert abs(highlighted // channels - height * width // 2) <= 1

    # Arrow keys: down is the next pixel of the map, right the same pixel of the next map.
    _hover_map_pixel(view, 3, 4, 7, height)
    view.get_by_test_id("flatten-svg").focus()
    tab.keyboard.press("ArrowDown")
    expect(view.get_by_test_id("flatten-highlight")).to_have_attribute(
        "data-index", str(expected.index(4, 8, 3))
    )
    tab.keyboard.press("ArrowRight")
    expect(view.get_by_test_id("flatten-highlight")).to_have_attribute(
        "data-index", str(expected.index(4, 8, 4))
    )
    expect(readout).to_contain_text(re.compile(r"map 5, row 5, column 9: value .* \u00d7 weight"))
    _check_lens(view, expected, expected.index(4, 8, 4))
    assert view.evaluate(SMALL_TEXT) == [], "text under 12 px in the flatten view"


def test_softmax_traces_a_class_and_shows_one_table(
    spa: GatewayThread, sized: tuple[Page, str]
) -> None:
    tab, size = sized
    http = httpx.Client(base_url=spa.url, timeout=60)
    bundle = open_example(tab, http, spa, class_index=2)
    expected = Classifier(http, "tiny_vgg", bundle, class_index=2)
    tab.locator("[data-class]").nth(2).click()
    panel = tab.get_by_test_id("softmax-view")
    expect(panel).to_be_visible(timeout=30_000)
    _settle(tab)
    exps = np.exp(expected.logits.astype(np.float64))
    rows = panel.get_by_test_id("softmax-row")
    expect(rows).to_have_count(10)
    for traced in (7, 2):
        row = rows.nth(traced)
        row.hover()
        expect(row).to_have_class(re.compile(r"\bsoftmax-traced\b"))
        expect(panel.locator(".softmax-traced")).to_have_count(1)
        assert _number(row.get_by_test_id("logit").inner_text()) == pytest.approx(
            float(expected.logits[traced]), rel=1e-3, abs=1e-6
        )
        assert _number(row.get_by_test_id("exp").inner_text()) == pytest.approx(
            float(exps[traced]), rel=1e-3
        )
        term = panel.locator(f'[data-testid="softmax-term"][data-class="{traced}"]')
        expect(term).to_have_class(re.compile(r"\bsoftmax-term-traced\b"))
        assert _number(term.inner_text()) == pytest.approx(float(exps[traced]), rel=1e-3)
        expect(panel.locator(".softmax-term-traced")).not_to_have_count(0)
        # The selected class stays marked whatever is pointed at.
        expect(rows.nth(2)).to_have_class(re.compile(r"\bsoftmax-selected\b"))
        expect(rows.nth(2)).to_have_attribute("aria-current", "true")
    rows.nth(7).hover()
    names = panel.locator("th[scope=row]").all_inner_texts()
    expect(panel.get_by_test_id("softmax-traced-formula")).to_contain_text(f"p({names[7]})")
    shown = panel.get_by_test_id("softmax-probability").inner_text()
    assert float(shown) == pytest.approx(float(exps[2] / exps.sum()), abs=1e-4)
    # Focus traces too (keyboard).
    rows.nth(4).focus()
    expect(rows.nth(4)).to_have_class(re.compile(r"\bsoftmax-traced\b"))
    tab.keyboard.press("ArrowDown")
    expect(rows.nth(5)).to_be_focused()
    expect(rows.nth(5)).to_have_class(re.compile(r"\bsoftmax-traced\b"))
    expect(panel.locator('[data-testid="softmax-term"][data-class="5"]')).to_have_class(
        re.compile(r"\bsoftmax-term-traced\b")
    )
    tab.screenshot(path=str(SHOTS / f"classifier-softmax-{size.split('x')[0]}.png"))

    # One softmax table per screen, with the detail open too.
    expect(tab.locator("table.softmax-table")).to_have_count(1)
    tab.get_by_test_id("open-softmax-detail").click()
    detail = tab.get_by_test_id("softmax-detail")
    expect(detail).to_be_visible()
    _settle(tab)
    expect(tab.locator("table.softmax-table")).to_have_count(1)
    expect(detail.locator("table")).to_have_count(0)
    share = detail.get_by_test_id("softmax-share").nth(2)
    share.hover()
    expect(detail.locator('[data-testid="softmax-term"][data-class="2"]')).to_have_class(
        re.compile(r"\bsoftmax-term-traced\b")
    )
    assert detail.evaluate(SMALL_TEXT) == [], "text under 12 px in the softmax detail"
    tab.screenshot(path=str(SHOTS / f"classifier-softmax-detail-{size.split('x')[0]}.png"))


def test_a_differently_shaped_flatten_layer(second_model: GatewayThread, page: Page) -> None:
    """small3 flattens 8 maps of 2x2: its own groups and a lens of its 4 elements."""
    page.set_viewport_size({"width": 1024, "height": 768})
    http = httpx.Client(base_url=second_model.url, timeout=60)
    page.goto(second_model.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    found = re.search(r"example=([\w.-]+)", page.url)
    assert found
    bundle = read_bundle(http.get(f"/api/examples/{found[1]}/activations?version=1"))
    expected = Classifier(http, "small3", bundle, class_index=1)
    height, _, channels = expected.shape
    assert expected.shape == (2, 2, 8)
    page.locator("[data-class]").nth(1).click()
    view = page.get_by_test_id("flatten-view")
    expect(view.locator(".flatten-line")).to_have_count(expected.flat.size, timeout=30_000)
    _settle(page)
    _check_groups(page, view, channels)
    traced = expected.index(1, 0, 6)
    _hover_map_pixel(view, 6, 1, 0, height)
    expect(view.get_by_test_id("flatten-highlight")).to_have_attribute("data-index", str(traced))
    _check_lens(view, expected, traced)
    _inside_viewport(page, view.get_by_test_id("flatten-readout"))
    page.screenshot(path=str(SHOTS / "classifier-second-model-1024.png"))


def test_reduced_motion_opens_the_view_in_place(spa: GatewayThread, browser: Browser) -> None:
    """Under prefers-reduced-motion the view neither grows nor scrolls smoothly: it is there."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, reduced_motion="reduce")
    tab = context.new_page()
    tab.goto(spa.url + "/")
    expect(tab.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    tab.locator("[data-class]").nth(4).click()
    view = tab.get_by_test_id("flatten-view")
    expect(view).to_be_visible(timeout=30_000)
    assert tab.evaluate("document.getAnimations().length") == 0
    # Scrolled to at once: the strip under the overview is whole on the screen.
    assert tab.evaluate("scrollY") > 0
    bottom = view.evaluate("el => el.getBoundingClientRect().bottom")
    assert bottom <= 768.5, bottom
    _check_groups(tab, view, int(view.get_by_test_id("flatten-group").count()))
    context.close()

"""The detail views, transitions and explanations of the explainer SPA in headless Chromium.

Every number a detail view shows is checked against the activations the serving stack
computed (derived in NumPy here with services/common/bundles.py). Screenshots go to
/tmp/cnn101-spa/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from cnn101.v1 import activations_pb2
from playwright.sync_api import Browser, Locator, Page, expect

from services.common.bundles import derive_layers, read_tensors
from tests.serving.browser import SHOTS, read_bundle, shot
from tests.serving.stack import GatewayThread

# Counts calls of Element.animate, so a test can tell whether a transition ran at all.
COUNT_ANIMATIONS = """
window.__animations = 0;
const animate = Element.prototype.animate;
Element.prototype.animate = function (...args) {
  window.__animations += 1;
  return animate.apply(this, args);
};
"""
SETTLED = """() => new Promise((done) => {
  const y = scrollY;
  setTimeout(() => done(scrollY === y
    && document.getAnimations().every((a) => a.playState !== 'running'
      || a.effect.getTiming().iterations === Infinity)), 250);
})"""


EDGE_ENDS = """() => {
  const svg = document.querySelector('[data-testid="flow-edges"]').getBoundingClientRect();
  const target = document.querySelector('[data-testid="bias-glyph"] .sum-circle')
    .getBoundingClientRect();
  const sources = [...document.querySelectorAll('[data-testid="intermediate-map"]')];
  return [...document.querySelectorAll('.flow-edge[data-joins="sum"]')].map((path, i) => {
    const first = path.getPointAtLength(0);
    const last = path.getPointAtLength(path.getTotalLength());
    const source = sources[i].getBoundingClientRect();
    return {
      start: [first.x + svg.left, first.y + svg.top],
      source: [source.right, source.top + source.height / 2],
      end: [last.x + svg.left, last.y + svg.top],
      target: [target.left, target.top + target.height / 2],
    };
  });
}"""


def _settle(tab: Page) -> None:
    """Until transitions and smooth scrolling are over (endless flowing dashes aside)."""
    for _ in range(120):  # 250 ms each
        if tab.evaluate(SETTLED):
            return
    raise AssertionError("transitions or scrolling never ended")


def _activations(
    http: httpx.Client, model: str, example_id: str
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray], activations_pb2.ActivationBundle]:
    layers: list[dict[str, Any]] = http.get(f"/api/models/{model}/versions/1").json()[
        "description"
    ]["layers"]
    bundle = read_bundle(http.get(f"/api/examples/{example_id}/activations?version=1"))
    outputs = derive_layers(layers, read_tensors(bundle))
    size = bundle.input_size
    pixels = np.frombuffer(bundle.input_pixels, dtype=np.uint8).reshape(size, size, 3)
    outputs["input"] = pixels.astype(np.float32) / np.float32(255)
    return layers, outputs, bundle


def _open(tab: Page, url: str) -> str:
    """Opens the app at `url`; returns the example it shows."""
    tab.goto(url)
    expect(tab.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(tab).to_have_url(re.compile(r"example=[\w.-]+"))
    found = re.search(r"example=([\w.-]+)", tab.url)
    assert found
    return found[1]


def _hover_pixel(picker: Locator, y: int, x: int, height: int, width: int) -> None:
    # Inside the map's frame (its border): Playwright's position is from the padding box.
    inner = picker.evaluate("el => [el.clientWidth, el.clientHeight]")
    scale = inner[0] / width
    assert inner[1] == pytest.approx(height * scale, abs=1)
    picker.hover(position={"x": (x + 0.5) * scale, "y": (y + 0.5) * scale})
    expect(picker).to_have_attribute("data-y", str(y))
    expect(picker).to_have_attribute("data-x", str(x))


def _values(grid: Locator) -> np.ndarray:
    cells = grid.locator("[data-value]").evaluate_all(
        "els => els.map(e => Number(e.dataset.value))"
    )
    return np.array(cells, dtype=np.float64)


def _printed(grid: Locator) -> list[str]:
    texts: list[str] = grid.locator("[data-value]").all_inner_texts()
    return texts


def _number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


@pytest.fixture
def counted(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(COUNT_ANIMATIONS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def test_convolution_detail_adds_up_to_the_model_s_value(
    spa: GatewayThread,
    page: Page,
) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    example = _open(page, spa.url + "/")
    _, outputs, _ = _activations(http, "tiny_vgg", example)
    page.locator('[data-layer="conv_2_1"][data-neuron="3"]').click()
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    page.get_by_test_id("open-conv-detail").click()
    detail = page.get_by_test_id("conv-detail")
    expect(detail).to_be_visible()
    expect(page).to_have_url(re.compile(r"neuron=conv_2_1%3A3&detail=\d+%2C\d+$"))
    _settle(page)
    picker = page.get_by_test_id("detail-output-map")
    height, width = outputs["conv_2_1"].shape[:2]
    y, x = 7, 11
    _hover_pixel(picker, y, x, height, width)
    # The intermediate view's window follows the pixel on show.
    expect(page.get_by_test_id("window-position")).to_have_text("row 8, column 12")

    # The window of max_pool_1 channel 1 under the kernel, every product, their sum.
    source = outputs["max_pool_1"]
    expect(detail.get_by_test_id("channel-tab")).to_have_count(source.shape[2])
    window = _values(detail.get_by_test_id("window-grid"))
    assert window == pytest.approx(source[y : y + 3, x : x + 3, 0].ravel().astype(np.float64))
    weights = _values(detail.get_by_test_id("kernel-grid"))
    products = _values(detail.get_by_test_id("product-grid"))
    assert products == pytest.approx(window * weights, rel=1e-6, abs=1e-9)
    product_sum = detail.get_by_test_id("product-sum")
    assert float(product_sum.get_attribute("data-exact") or "nan") == pytest.approx(products.sum())
    # As printed: the printed products add up to the printed sum, or a note says why not.
    printed = [_number(t) for t in _printed(detail.get_by_test_id("product-grid"))]
    total_text = detail.get_by_test_id("product-sum-total").inner_text()
    decimals = len(total_text.split(".")[1])
    if product_sum.get_attribute("data-adds-up") == "true":
        assert round(sum(printed), decimals) == pytest.approx(_number(total_text))
    else:
        expect(product_sum.locator(".rounding-note")).to_contain_text("Added up as printed")

    # All channels plus the bias give the value the model computed at that pixel.
    total = detail.get_by_test_id("detail-total")
    model_value = float(outputs["conv_2_1"][y, x, 3])
    assert float(total.get_attribute("data-model") or "nan") == pytest.approx(model_value, rel=1e-6)
    assert float(total.get_attribute("data-total") or "nan") == pytest.approx(
        model_value, rel=1e-5, abs=1e-6
    )
    expect(total.locator("[data-term]")).to_have_count(source.shape[2] + 1)
    expect(detail.get_by_test_id("channel-sum").locator(".rounding-note")).to_contain_text(
        "exact sum"
    )
    shot(page, "views-20-conv-detail")


def test_convolution_detail_channels_link_and_escape(
    spa: GatewayThread,
    page: Page,
) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    example = _open(page, spa.url + "/")
    _, outputs, _ = _activations(http, "tiny_vgg", example)
    source = outputs["max_pool_1"]
    page.goto(page.url + "&neuron=conv_2_1%3A3&detail=5%2C6")
    detail = page.get_by_test_id("conv-detail")
    expect(detail).to_be_visible(timeout=30_000)
    picker = page.get_by_test_id("detail-output-map")
    expect(picker).to_have_attribute("data-y", "5")
    expect(picker).to_have_attribute("data-x", "6")

    # Another input channel, from the tabs: its window is that channel's.
    detail.get_by_test_id("channel-tab").nth(4).click()
    expect(detail.get_by_test_id("channel-tab").nth(4)).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(re.compile(r"detail=5%2C6%2C4$"))
    ky, kx = 5, 6
    window = _values(detail.get_by_test_id("window-grid"))
    assert window == pytest.approx(source[ky : ky + 3, kx : kx + 3, 4].ravel().astype(np.float64))

    # The link reproduces the detail view in a fresh page.
    fresh = page.context.new_page()
    fresh.goto(page.url)
    expect(fresh.get_by_test_id("conv-detail")).to_be_visible(timeout=30_000)
    expect(fresh.get_by_test_id("detail-output-map")).to_have_attribute("data-y", str(ky))
    expect(fresh.get_by_test_id("channel-tab").nth(4)).to_have_attribute("aria-pressed", "true")
    fresh.close()

    # Escape goes back to the intermediate view, whose window waits at the same pixel.
    page.mouse.move(0, 0)  # not over the intermediate view's output map, which moves the window
    picker.focus()
    page.keyboard.press("Escape")
    expect(detail).to_have_count(0)
    expect(page.get_by_test_id("conv-view")).to_be_visible()
    expect(page.get_by_test_id("window-position")).to_have_text(f"row {ky + 1}, column {kx + 1}")
    expect(page).not_to_have_url(re.compile(r"detail="))


def test_intermediate_maps_open_the_detail_of_their_channel(
    spa: GatewayThread,
    page: Page,
) -> None:
    _open(page, spa.url + "/")
    page.locator('[data-layer="conv_1_1"][data-neuron="5"]').click()
    view = page.get_by_test_id("conv-view")
    expect(view).to_be_visible(timeout=30_000)
    # One flowing edge from each intermediate map (one per input channel) into the output.
    expect(view.get_by_test_id("flow-edges")).to_have_attribute("data-count", "3")
    play = page.get_by_test_id("play-pause")
    expect(play).to_have_text("Pause")
    play.click()
    expect(play).to_have_text("Play")
    before = page.get_by_test_id("window-position").inner_text()
    page.get_by_test_id("step").click()
    expect(page.get_by_test_id("window-position")).not_to_have_text(before)
    _settle(page)
    # Each edge leaves its intermediate map's right side and ends on the sum's (⊕) left.
    ends = page.evaluate(EDGE_ENDS)
    assert len(ends) == 3
    for end in ends:
        assert end["start"] == pytest.approx(end["source"], abs=1.5)
        assert end["end"] == pytest.approx(end["target"], abs=1.5)
    view.screenshot(path=str(SHOTS / "views-21a-conv-view-edges.png"))
    view.get_by_test_id("intermediate-map").nth(2).click()  # the blue channel
    detail = page.get_by_test_id("conv-detail")
    expect(detail).to_be_visible()
    expect(detail.get_by_test_id("channel-tab").nth(2)).to_have_attribute("aria-pressed", "true")
    expect(detail.get_by_test_id("channel-tab")).to_have_text(["R", "G", "B"])
    expect(view).to_have_class(re.compile("view-context"))  # the intermediate view steps back
    _settle(page)
    shot(page, "views-21-conv-detail-first-layer")


def test_the_conv_view_and_its_detail_show_the_same_pixel_and_escape_goes_back(
    spa: GatewayThread,
    page: Page,
) -> None:
    """Issue 15: "Show the arithmetic" while the window plays gave a detail one column
    behind the view (3 of 3 tries); Escape did not close the view; focus stayed behind."""
    _open(page, spa.url + "/")
    neuron = page.locator('[data-layer="conv_2_1"][data-neuron="3"]')
    neuron.click()
    view = page.get_by_test_id("conv-view")
    expect(view).to_be_visible(timeout=30_000)
    expect(view).to_be_focused()
    play = page.get_by_test_id("play-pause")
    for _ in range(3):
        expect(play).to_have_text("Pause")
        page.wait_for_timeout(600)  # the window moves every 120 ms
        page.get_by_test_id("open-conv-detail").click()
        detail = page.get_by_test_id("conv-detail")
        expect(detail).to_be_visible()
        _settle(page)
        position = page.get_by_test_id("window-position").inner_text()
        expect(detail.get_by_role("heading", level=2)).to_contain_text(f", {position}:")
        page.keyboard.press("Escape")  # focus is in the detail: it closes, the view stays
        expect(detail).to_have_count(0)
        expect(view).to_be_visible()
        play.click()
    view.focus()
    page.keyboard.press("Escape")
    expect(view).to_have_count(0)
    expect(neuron).to_be_focused()


def test_relu_and_max_pool_details_from_the_overview(
    spa: GatewayThread,
    page: Page,
) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    example = _open(page, spa.url + "/")
    _, outputs, _ = _activations(http, "tiny_vgg", example)

    page.locator('[data-layer="relu_1_1"][data-neuron="2"]').click()
    expect(page).to_have_url(re.compile(r"neuron=relu_1_1%3A2$"))
    detail = page.get_by_test_id("relu-detail")
    expect(detail).to_be_visible(timeout=30_000)
    expect(page.locator(".neuron-context").first).to_be_visible()  # the other columns fade
    expect(page.get_by_test_id("explanation-view")).to_contain_text("max(0, x)")
    _settle(page)
    conv = outputs["conv_1_1"][:, :, 2]
    height, width = conv.shape
    picker = page.get_by_test_id("detail-output-map")
    formula = page.get_by_test_id("relu-formula")
    negative = np.argwhere(conv < -1e-3)[0]
    positive = np.argwhere(conv > 1e-3)[0]
    for (y, x), sign in ((negative, -1), (positive, 1)):
        _hover_pixel(picker, int(y), int(x), height, width)
        shown_input = float(formula.get_attribute("data-input") or "nan")
        assert shown_input == float(conv[y, x])
        assert float(formula.get_attribute("data-output") or "nan") == max(0.0, shown_input)
        expect(formula).to_contain_text("becomes 0" if sign < 0 else "passes unchanged")
        point = page.get_by_test_id("relu-point")
        assert float(point.get_attribute("data-input") or "nan") == shown_input
    shot(page, "views-22-relu-detail")
    detail.get_by_test_id("close-detail").click()
    expect(detail).to_have_count(0)
    expect(page).not_to_have_url(re.compile(r"neuron="))
    expect(page.locator(".neuron-context")).to_have_count(0)

    page.locator('[data-layer="max_pool_2"][data-neuron="5"]').click()
    detail = page.get_by_test_id("pool-detail")
    expect(detail).to_be_visible(timeout=30_000)
    _settle(page)
    pooled = outputs["max_pool_2"][:, :, 5]
    relu = outputs["relu_2_2"][:, :, 5]
    picker = page.get_by_test_id("detail-output-map")
    _hover_pixel(picker, 4, 9, *pooled.shape)
    window = _values(detail.get_by_test_id("pool-grid"))
    assert window == pytest.approx(relu[8:10, 18:20].ravel().astype(np.float64))
    formula = page.get_by_test_id("pool-formula")
    assert float(formula.get_attribute("data-max") or "nan") == float(pooled[4, 9])
    assert float(formula.get_attribute("data-model") or "nan") == float(pooled[4, 9])
    marked = detail.locator(".number-cell-marked")
    expect(marked).to_have_count(1)
    assert float(marked.get_attribute("data-value") or "nan") == float(pooled[4, 9])
    shot(page, "views-23-pool-detail")


def test_softmax_detail(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    example = _open(page, spa.url + "/")
    _, _, bundle = _activations(http, "tiny_vgg", example)
    page.locator("[data-class]").nth(3).click()
    expect(page.get_by_test_id("flatten-view")).to_be_visible(timeout=30_000)
    page.get_by_test_id("open-softmax-detail").click()
    expect(page).to_have_url(re.compile(r"neuron=softmax%3A3&detail=softmax$"))
    detail = page.get_by_test_id("softmax-detail")
    expect(detail).to_be_visible()
    shares = detail.get_by_test_id("softmax-share").evaluate_all(
        "els => els.map(e => Number(e.dataset.share))"
    )
    assert sum(shares) == pytest.approx(1.0, abs=1e-9)
    assert shares == pytest.approx(list(bundle.probabilities), abs=1e-6)
    shown = detail.get_by_test_id("softmax-probability").inner_text()
    assert float(shown) == pytest.approx(
        bundle.probabilities[3], abs=0.5 * 10 ** -len(shown.split(".")[1])
    )
    _settle(page)
    shot(page, "views-24-softmax-detail")
    detail.get_by_test_id("close-detail").click()
    expect(detail).to_have_count(0)
    expect(page.get_by_test_id("flatten-view")).to_be_visible()


def test_transitions_run_only_without_reduced_motion(
    spa: GatewayThread,
    browser: Browser,
) -> None:
    for reduced in (False, True):
        context = browser.new_context(
            viewport={"width": 1440, "height": 900},
            reduced_motion="reduce" if reduced else "no-preference",
        )
        context.add_init_script(COUNT_ANIMATIONS)
        tab = context.new_page()
        _open(tab, spa.url + "/")
        tab.locator('[data-layer="conv_2_2"][data-neuron="1"]').click()
        expect(tab.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
        tab.get_by_test_id("open-conv-detail").click()
        expect(tab.get_by_test_id("conv-detail")).to_be_visible()
        tab.get_by_test_id("close-detail").click()
        expect(tab.get_by_test_id("conv-detail")).to_have_count(0)
        tab.get_by_test_id("close-conv").click()
        expect(tab.get_by_test_id("conv-view")).to_have_count(0)
        animations = tab.evaluate("window.__animations")
        # Opening and closing both views: four transitions, or none at all.
        assert animations == (0 if reduced else 4), (reduced, animations)
        context.close()


def test_keyboard_reaches_and_operates_the_detail_views(
    spa: GatewayThread,
    page: Page,
) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    example = _open(page, spa.url + "/")
    _, outputs, _ = _activations(http, "tiny_vgg", example)
    neuron = page.locator('[data-layer="max_pool_1"][data-neuron="0"]')
    neuron.focus()
    page.keyboard.press("Enter")
    detail = page.get_by_test_id("pool-detail")
    expect(detail).to_be_visible(timeout=30_000)
    # The view opened (a dialog) is where the keyboard is: on its title.
    expect(detail.get_by_role("heading", level=2)).to_be_focused()
    page.keyboard.press("Tab")  # the back button
    expect(detail.get_by_test_id("close-detail")).to_be_focused()
    page.keyboard.press("Tab")
    picker = page.get_by_test_id("detail-output-map")
    expect(picker).to_be_focused()
    page.keyboard.press("Home")
    expect(picker).to_have_attribute("data-y", "0")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(picker).to_have_attribute("data-y", "2")
    expect(picker).to_have_attribute("data-x", "1")
    expect(page).to_have_url(re.compile(r"detail=2%2C1$"))
    value = float(outputs["max_pool_1"][2, 1, 0])
    label = picker.get_attribute("aria-label") or ""
    assert "max_pool_1 neuron 1 output map" in label and "row 3, column 2" in label
    assert _number(re.findall(r"window: (\S+)\.", label)[0]) == pytest.approx(value, rel=1e-6)
    expect(detail.get_by_test_id("pixel-announcement")).to_contain_text("row 3, column 2")
    shot(page, "views-25-keyboard-pool")
    page.keyboard.press("Escape")
    expect(detail).to_have_count(0)
    expect(neuron).to_be_focused()  # back where the student was


def test_details_of_a_differently_shaped_model(
    second_model: GatewayThread,
    page: Page,
) -> None:
    http = httpx.Client(base_url=second_model.url, timeout=60)
    example = _open(page, second_model.url + "/")
    _, outputs, _ = _activations(http, "small3", example)
    # A link straight to a conv detail (5x5 kernels, 8 input maps) at row 3, column 2.
    page.goto(page.url + "&neuron=conv_3_1%3A6&detail=3%2C2%2C7")
    detail = page.get_by_test_id("conv-detail")
    expect(detail).to_be_visible(timeout=30_000)
    expect(detail.get_by_test_id("channel-tab")).to_have_count(8)
    expect(detail.get_by_test_id("product-grid").locator("[data-value]")).to_have_count(25)
    window = _values(detail.get_by_test_id("window-grid"))
    assert window == pytest.approx(outputs["max_pool_2"][3:8, 2:7, 7].ravel().astype(np.float64))
    total = detail.get_by_test_id("detail-total")
    assert float(total.get_attribute("data-total") or "nan") == pytest.approx(
        float(outputs["conv_3_1"][3, 2, 6]), rel=1e-5, abs=1e-6
    )
    _settle(page)
    shot(page, "views-26-second-model-conv-detail")
    page.get_by_test_id("close-detail").click()
    page.get_by_test_id("close-conv").click()
    page.locator('[data-layer="max_pool_3"][data-neuron="1"]').click()
    expect(page.get_by_test_id("pool-detail")).to_be_visible(timeout=30_000)
    formula = page.get_by_test_id("pool-formula")
    picker = page.get_by_test_id("detail-output-map")
    y, x = int(picker.get_attribute("data-y") or 0), int(picker.get_attribute("data-x") or 0)
    assert float(formula.get_attribute("data-max") or "nan") == float(
        outputs["max_pool_3"][y, x, 1]
    )

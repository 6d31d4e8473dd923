"""Every way to feed the explorer a picture, the playground and classroom accessibility,
in headless Chromium against the real serving stack (fixtures of test_spa_e2e).

Screenshots go to /tmp/cnn101-spa/ (``inputs-*.png``) to be looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from cnn101.v1 import activations_pb2
from playwright.sync_api import Browser, BrowserContext, Page, expect

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.serving import test_spa_e2e
from tests.serving.conftest import Stack
from tests.serving.stack import GatewayThread
from tests.serving.test_spa_e2e import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN,
    SHOTS,
    SPA_DIR,
    _bundle,
    _png,
    _spa_built,
    _wait_for_probabilities,
)

# The browser-test fixtures, shared by name: one gateway serving the SPA, one Chromium.
spa = test_spa_e2e.spa
browser = test_spa_e2e.browser
page = test_spa_e2e.page

DIGEST_IN_URL = re.compile(r"image=([0-9a-f]{64})")
SMALL_UPLOAD_LIMIT = 200_000


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"inputs-{name}.png"), full_page=True)


def _open(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("status")).to_have_count(0, timeout=30_000)


def _digest(page: Page) -> str:
    match = DIGEST_IN_URL.search(page.url)
    assert match, page.url
    return match[1]


def _wait_for_new_digest(page: Page, before: str | None) -> str:
    page.wait_for_url(DIGEST_IN_URL, timeout=30_000)
    if before is not None:
        page.wait_for_function(
            "d => !location.search.includes(d) && /image=[0-9a-f]{64}/.test(location.search)",
            arg=before,
            timeout=30_000,
        )
    return _digest(page)


def _bundle_by_digest(http: httpx.Client, digest: str) -> activations_pb2.ActivationBundle:
    return _bundle(http.get(f"/api/models/tiny_vgg/versions/1/activations/{digest}"))


def _pixels(bundle: activations_pb2.ActivationBundle) -> np.ndarray:
    size = bundle.input_size
    return np.frombuffer(bundle.input_pixels, dtype=np.uint8).reshape(size, size, 3)


def _overview_drawn_for(page: Page, digest: str) -> None:
    """The overview marks each full redraw with the image's digest (Overview.tsx)."""
    page.wait_for_function(
        f"d => {DRAWN}.some((entry) => entry.detail === d)", arg=digest, timeout=30_000
    )


def _expect_uploaded(page: Page, http: httpx.Client, before: str | None) -> str:
    digest = _wait_for_new_digest(page, before)
    _wait_for_probabilities(page, _bundle_by_digest(http, digest))
    _overview_drawn_for(page, digest)
    return digest


# --- Upload: file picker, drag and drop, paste -------------------------------------------


DROP_JS = """([bytes, name, kind]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
  if (kind === 'drop' || kind === 'drop-elsewhere') {
    const area = document.querySelector(
      kind === 'drop' ? '[data-testid=upload-area]' : '[data-testid=overview]');
    const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
    area.dispatchEvent(new DragEvent('dragover', init));
    area.dispatchEvent(new DragEvent('drop', init));
  } else {
    const init = { clipboardData: transfer, bubbles: true };
    document.body.dispatchEvent(new ClipboardEvent('paste', init));
  }
}"""


def test_upload_by_picker_drop_and_paste(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    _open(page, spa.url + "/")
    # File picker, through the real file chooser dialog.
    with page.expect_file_chooser() as chooser:
        page.get_by_text("Use your own picture").click()
    chooser.value.set_files({"name": "a.png", "mimeType": "image/png", "buffer": _png(seed=21)})
    picked = _expect_uploaded(page, http, None)
    expected = _bundle(http.post("/api/activations?version=1", files={"file": ("a", _png(21))}))
    assert picked == expected.image_digest

    page.evaluate(DROP_JS, [list(_png(seed=22)), "dropped.png", "drop"])
    dropped = _expect_uploaded(page, http, picked)
    _shot(page, "1-dropped")
    page.evaluate(DROP_JS, [list(_png(seed=23)), "pasted.png", "paste"])
    pasted = _expect_uploaded(page, http, dropped)
    # Dropped outside the box: used too, rather than the browser leaving the app to show it.
    page.evaluate(DROP_JS, [list(_png(seed=24)), "elsewhere.png", "drop-elsewhere"])
    elsewhere = _expect_uploaded(page, http, pasted)
    assert len({picked, dropped, pasted, elsewhere}) == 4
    for seed, digest in ((22, dropped), (23, pasted)):
        posted = _bundle(http.post("/api/activations?version=1", files={"file": ("x", _png(seed))}))
        assert posted.image_digest == digest


# --- Drawing -------------------------------------------------------------------------------


def _stroke(page: Page, points: list[tuple[float, float]]) -> None:
    box = page.get_by_test_id("drawing-canvas").bounding_box()
    assert box
    page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=6)
    page.mouse.up()


def test_draw_and_classify(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    _open(page, spa.url + "/")
    page.get_by_test_id("open-drawing").click()
    canvas = page.get_by_test_id("drawing-canvas")
    expect(canvas).to_be_visible()
    page.get_by_role("button", name="red", exact=True).click()
    page.get_by_test_id("brush-size").fill("30")
    _stroke(page, [(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8), (0.2, 0.2)])
    page.get_by_role("button", name="blue", exact=True).click()
    _stroke(page, [(0.2, 0.8), (0.8, 0.2)])
    expect(canvas).to_have_attribute("aria-label", re.compile("2 strokes"))
    page.get_by_test_id("eraser").click()
    expect(page.get_by_test_id("eraser")).to_have_attribute("aria-pressed", "true")
    _stroke(page, [(0.45, 0.5), (0.55, 0.5)])
    _shot(page, "2-drawing")
    page.get_by_test_id("classify-drawing").click()
    first = _expect_uploaded(page, http, None)
    drawn = _pixels(_bundle_by_digest(http, first)).astype(int)
    red, blue, white = np.array([209, 36, 47]), np.array([9, 105, 218]), np.array([255, 255, 255])
    # A red square outline, a blue diagonal, white elsewhere; the eraser whitened the centre.
    assert np.abs(drawn[13, 32] - red).max() <= 12, drawn[13, 32]
    assert np.abs(drawn[24, 40] - blue).max() <= 12, drawn[24, 40]
    assert np.abs(drawn[32, 32] - white).max() <= 12, drawn[32, 32]
    assert (drawn[4, 32] == white).all() and (drawn[32, 4] == white).all()
    # Clear, draw something else: a new digest, and the overview redraws for it.
    page.get_by_test_id("clear-drawing").click()
    expect(canvas).to_have_attribute("aria-label", re.compile("0 strokes"))
    page.get_by_test_id("eraser").click()
    _stroke(page, [(0.5, 0.1), (0.5, 0.9)])
    page.get_by_test_id("classify-drawing").click()
    second = _expect_uploaded(page, http, first)
    redrawn = _pixels(_bundle_by_digest(http, second)).astype(int)
    assert np.abs(redrawn[8:56, 32] - blue).max() <= 12  # the new blue line, top to bottom
    assert (redrawn[13, 13] == white).all() and (redrawn[13, 20] == white).all()  # cleared
    _shot(page, "3-drawing-classified")
    # The keyboard draws too: arrows move the brush, Space puts it down and lifts it.
    canvas.focus()
    for key in ["ArrowRight"] * 6 + ["Space"] + ["ArrowDown"] * 6 + ["Space"]:
        page.keyboard.press(key)
    expect(canvas).to_have_attribute("aria-label", re.compile("^Drawing area, 2 strokes"))
    page.get_by_test_id("classify-drawing").click()
    third = _pixels(_bundle_by_digest(http, _expect_uploaded(page, http, second))).astype(int)
    assert np.abs(third[34:42, 44] - blue).max() <= 12  # from the centre, 48 px right, down
    assert (third[20:28, 44] == white).all()


# --- Channel toggles -----------------------------------------------------------------------


def test_channel_toggles(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    _open(page, spa.url + "/")
    example_url = page.url
    example_id = re.search(r"example=([\w.-]+)", example_url)
    assert example_id
    original = _pixels(_bundle(http.get(f"/api/examples/{example_id[1]}/activations?version=1")))

    page.get_by_test_id("channel-red").click()
    no_red = _expect_uploaded(page, http, None)
    expect(page.get_by_test_id("channel-red")).not_to_be_checked()
    pixels = _pixels(_bundle_by_digest(http, no_red))
    assert (pixels[..., 0] == 0).all()
    np.testing.assert_array_equal(pixels[..., 1:], original[..., 1:])
    _shot(page, "4-no-red")

    page.get_by_test_id("channel-green").click()
    only_blue = _expect_uploaded(page, http, no_red)
    pixels = _pixels(_bundle_by_digest(http, only_blue))
    assert (pixels[..., :2] == 0).all()
    np.testing.assert_array_equal(pixels[..., 2], original[..., 2])
    # The input column of the overview shows the red and green channels black.
    expect(page.locator('[data-layer="input"][data-neuron="0"]')).to_have_attribute(
        "aria-label", re.compile(r"values from 0 to 0$")
    )
    _shot(page, "5-only-blue")

    # Both back on: the original example again, by its own address.
    page.get_by_test_id("channel-red").click()
    expect(page.get_by_test_id("channel-red")).to_be_checked()
    page.get_by_test_id("channel-green").click()
    expect(page).to_have_url(re.compile(rf"example={re.escape(example_id[1])}$"), timeout=30_000)
    expect(page.get_by_test_id("channel-green")).to_be_checked()


# --- Webcam --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def camera_browser(browser: Browser) -> Iterator[Browser]:
    """A second Chromium with its fake camera (a test pattern) and permission granted."""
    launched = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    )
    yield launched
    launched.close()


def test_webcam_frame(spa: GatewayThread, camera_browser: Browser) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    context = camera_browser.new_context(viewport={"width": 1280, "height": 720})
    context.grant_permissions(["camera"])
    page = context.new_page()
    _open(page, spa.url + "/")
    page.get_by_test_id("open-camera").click()
    take = page.get_by_test_id("camera-take")
    expect(take).to_have_text("Take the picture", timeout=15_000)
    take.click()
    digest = _expect_uploaded(page, http, None)
    frame = _pixels(_bundle_by_digest(http, digest))
    assert frame.std() > 5  # the fake camera's pattern, not a blank frame
    _shot(page, "6-camera")
    # Closing the panel releases the camera.
    page.get_by_role("button", name="Close the camera").click()
    expect(page.get_by_test_id("camera")).to_have_count(0)
    page.wait_for_function(
        "() => [...document.querySelectorAll('video')].every((v) => !v.srcObject?.active)"
    )
    context.close()


def test_no_camera_says_what_to_do(spa: GatewayThread, browser: Browser) -> None:
    """Without a camera (or permission) the student reads why and what to do instead."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    _open(page, spa.url + "/")
    page.get_by_test_id("open-camera").click()
    problem = page.get_by_test_id("camera-problem")
    expect(problem).to_be_visible(timeout=15_000)
    expect(problem).to_contain_text(re.compile("No camera was found|not allowed to use the camera"))
    expect(problem).to_contain_text("upload a photo instead")
    expect(page.get_by_test_id("overview")).to_be_visible()
    _shot(page, "7-no-camera")
    context.close()


# --- Playground ----------------------------------------------------------------------------


def _set(page: Page, field: str, value: str) -> None:
    page.get_by_test_id(f"playground-{field}").fill(value)


def _open_playground(page: Page, spa: GatewayThread) -> None:
    page.goto(spa.url + "/")
    page.get_by_test_id("tab-playground").click()
    expect(page.get_by_test_id("playground")).to_be_visible()
    expect(page.get_by_test_id("overview")).to_be_hidden()


def test_playground_formula(spa: GatewayThread, page: Page) -> None:
    _open_playground(page, spa)
    formula = page.get_by_test_id("playground-formula")
    for n, p, k, s, out in (
        (5, 1, 3, 2, 3),
        (7, 0, 3, 1, 5),
        (9, 2, 5, 3, 3),
        (9, 3, 4, 2, 6),
        (6, 0, 3, 2, 2),
    ):
        for field, value in (("n", n), ("p", p), ("k", k), ("s", s)):
            _set(page, field, str(value))
        expect(formula).to_have_attribute("data-size", str(out))
        inner = n + 2 * p - k
        expect(formula).to_contain_text(f"= \u230a({n} + 2\u00d7{p} \u2212 {k}) / {s}\u230b + 1")
        expect(formula).to_contain_text(f"= \u230a{inner} / {s}\u230b + 1")
        expect(page.get_by_test_id("playground-output")).to_have_attribute("data-size", str(out))
        expect(page.get_by_test_id("playground-padded")).to_have_attribute(
            "data-size", str(n + 2 * p)
        )
        expect(page.get_by_test_id("playground-output").locator(".grid-cell")).to_have_count(
            out * out
        )
    # 6, 0, 3, 2 leaves a remainder: a note, or a refusal when an exact fit is required.
    expect(page.get_by_test_id("playground-note")).to_contain_text("never used")
    page.get_by_test_id("playground-exact").check()
    expect(page.get_by_test_id("playground-problem")).to_contain_text("is not a whole number")
    expect(formula).to_have_attribute("data-size", "")
    page.get_by_test_id("playground-exact").uncheck()
    expect(formula).to_have_attribute("data-size", "2")


def test_playground_window_and_invalid_combinations(spa: GatewayThread, page: Page) -> None:
    _open_playground(page, spa)
    formula = page.get_by_test_id("playground-formula")
    # The window follows the output cell (pointer and keyboard) and the sum is written out.
    for field, text in (("n", "5"), ("p", "1"), ("k", "3"), ("s", "2")):
        _set(page, field, text)
    window = page.get_by_test_id("playground-window")
    page.get_by_test_id("playground-output").locator('[data-row="1"][data-col="2"]').click()
    expect(page.get_by_test_id("playground-sum")).to_contain_text("row 2, column 3")
    # The window's place in cells of 34 px (its style; a transition may still be moving it).
    box = window.evaluate("el => [el.style.top, el.style.left, el.style.width]")
    assert box == [f"{2 * 34}px", f"{4 * 34}px", f"{3 * 34}px"]
    output = page.get_by_test_id("playground-output").locator(".grid-output")
    output.focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("playground-sum")).to_contain_text("row 2, column 2")
    sum_text = page.get_by_test_id("playground-sum").inner_text()
    shown = page.get_by_test_id("playground-output").locator(".grid-current").inner_text()
    assert f"= {shown}" in sum_text
    # The sum is right: the window's numbers times the kernel (+1 left column, -1 right).
    terms = re.findall(r"(\u2212?\d+)\u00d7\(?(\u2212?1)\)?", sum_text)
    assert terms
    total = sum(int(a.replace("\u2212", "-")) * int(b.replace("\u2212", "-")) for a, b in terms)
    assert total == int(shown.replace("\u2212", "-"))
    _shot(page, "8-playground")

    # Invalid: a kernel larger than the padded input, and a stride of zero.
    _set(page, "n", "3")
    _set(page, "p", "0")
    _set(page, "k", "5")
    problem = page.get_by_test_id("playground-problem")
    expect(problem).to_contain_text("bigger than the padded input (n + 2p = 3 + 2\u00d70 = 3)")
    expect(page.get_by_test_id("playground-output")).to_have_count(0)
    _shot(page, "9-playground-invalid")
    _set(page, "k", "3")
    _set(page, "s", "0")
    expect(problem).to_contain_text("The stride s must be at least 1")
    _set(page, "s", "1")
    expect(problem).to_have_count(0)
    expect(formula).to_have_attribute("data-size", "1")

    # Back to the explorer: still there, as it was.
    page.get_by_test_id("tab-explorer").click()
    expect(page.get_by_test_id("overview")).to_be_visible()


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
    _open(page, spa.url + "/")
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
    _shot(page, "10-colour-blind-palette")
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
    _open(page, spa.url + "/")
    seen: dict[str, dict[str, object]] = {}
    page.locator("body").click(position={"x": 1, "y": 1})
    for _ in range(140):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        seen.setdefault(str(focused["id"]), focused)
    for control in (
        "tab-explorer",
        "channel-red",
        "channel-blue",
        "class-select",
        "example",
        "file-input",
        "palette-toggle",
        "open-camera",
        "open-drawing",
        "input:0",
        "conv_1_1:0",
        "max_pool_2:9",
    ):
        assert control in seen, (control, list(seen))
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
    _shot(page, "11-keyboard-playground")


# --- Tablet and small screens --------------------------------------------------------------


def _no_horizontal_page_scroll(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], width


def test_laptop_1280x720(spa: GatewayThread, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    _open(page, spa.url + "/")
    _no_horizontal_page_scroll(page)
    overview = page.get_by_test_id("overview").bounding_box()
    assert overview and overview["x"] + overview["width"] <= 1280
    _shot(page, "12-laptop-1280x720")
    page.get_by_test_id("open-drawing").click()
    _no_horizontal_page_scroll(page)
    _shot(page, "13-laptop-drawing")
    context.close()


def _tablet(browser: Browser) -> BrowserContext:
    return browser.new_context(
        viewport={"width": 1024, "height": 768}, has_touch=True, is_mobile=False
    )


def test_tablet_tap_works_where_hover_does(spa: GatewayThread, browser: Browser) -> None:
    context = _tablet(browser)
    page = context.new_page()
    _open(page, spa.url + "/")
    _no_horizontal_page_scroll(page)
    # A tap does what hover and click do: names the neuron and lights its edge, or opens
    # the neuron's view where a click opens one.
    page.locator('[data-layer="relu_2_1"][data-neuron="3"]').tap()
    page.wait_for_function(
        """() => document.querySelector('[data-testid=neuron-info]').textContent
                   .includes('relu_2_1 (relu), neuron 4')
              || location.search.includes('neuron=relu_2_1%3A3')"""
    )
    _shot(page, "14-tablet-tap-relu")
    page.locator("[data-class]").nth(3).tap()
    expect(page).to_have_url(re.compile(r"neuron=softmax%3A3"))
    page.locator('[data-layer="conv_2_1"][data-neuron="1"]').tap()
    expect(page).to_have_url(re.compile(r"neuron=conv_2_1%3A1"))
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    _shot(page, "15-tablet-tap-conv")
    # A finger draws too (pointer events), and the playground's output answers a tap.
    page.get_by_test_id("open-drawing").tap()
    canvas = page.get_by_test_id("drawing-canvas")
    canvas.tap(position={"x": 128, "y": 128})
    expect(canvas).to_have_attribute("aria-label", re.compile("1 stroke so far"))
    page.get_by_test_id("tab-playground").tap()
    page.get_by_test_id("playground-output").locator('[data-row="2"][data-col="0"]').tap()
    expect(page.get_by_test_id("playground-sum")).to_contain_text("row 3, column 1")
    _shot(page, "16-tablet-playground")
    context.close()


# --- Errors a student understands ----------------------------------------------------------


@pytest.fixture(scope="module")
def small_limit_spa(stack: Stack) -> Iterator[GatewayThread]:
    """The SPA behind a gateway with a small upload limit, to refuse a large file quickly."""
    _spa_built()
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=stack.activations_target,
                data_dir=stack.data_dir,
                spa_dir=SPA_DIR,
                max_upload_bytes=SMALL_UPLOAD_LIMIT,
                retry_after_seconds=1,
                broker_url=stack.redis.url_for(1),
                result_backend=stack.redis.url_for(1),
            )
        )
    )
    gateway.start()
    yield gateway
    gateway.stop()


def test_upload_errors_are_explained(small_limit_spa: GatewayThread, page: Page) -> None:
    _open(page, small_limit_spa.url + "/")
    start = page.url
    file_input = page.get_by_test_id("file-input")
    cases = [
        # Just over the limit: the gateway decodes nothing and says how big is too big.
        ("big.png", b"\x89PNG\r\n\x1a\n" + bytes(SMALL_UPLOAD_LIMIT + 10), "limit"),
        # Far over the limit: refused from the request's size before it is read.
        (
            "huge.png",
            b"\x89PNG\r\n\x1a\n" + bytes(3 * SMALL_UPLOAD_LIMIT),
            "Choose a smaller picture",
        ),
        ("notes.txt", b"these are not pixels", "not a picture we can read"),
        ("empty.png", b"", "The file is empty"),
    ]
    for name, content, words in cases:
        file_input.set_input_files({"name": name, "mimeType": "image/png", "buffer": content})
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text(words, timeout=15_000)
        expect(page.locator(".status-retrying")).to_have_count(0)
        expect(page.get_by_test_id("overview")).to_be_visible()  # the last image stays
        assert page.url == start
        _shot(page, f"17-refused-{name.split('.')[0]}")

"""Every way to feed the explorer a picture (upload, drawing, channel toggles, webcam) and the
refusals a student reads, in headless Chromium against the real serving stack.

The playground and classroom accessibility, the rest of the inputs area, are in
test_spa_playground_e2e.py and test_spa_accessibility_e2e.py. Screenshots go to
/tmp/cnn101-spa/ (``inputs-*.png``) to be looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from cnn101.v1 import activations_pb2
from playwright.sync_api import Browser, Page, expect

from tests.serving.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN,
    open_explorer,
    picture_png,
    read_bundle,
    shot,
    wait_for_probabilities,
)
from tests.serving.conftest import Stack, spa_gateway
from tests.serving.stack import GatewayThread

DIGEST_IN_URL = re.compile(r"image=([0-9a-f]{64})")
SMALL_UPLOAD_LIMIT = 200_000


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
    return read_bundle(http.get(f"/api/models/tiny_vgg/versions/1/activations/{digest}"))


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
    wait_for_probabilities(page, _bundle_by_digest(http, digest))
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
    open_explorer(page, spa.url + "/")
    # File picker, through the real file chooser dialog.
    with page.expect_file_chooser() as chooser:
        page.get_by_text("Use your own picture").click()
    chooser.value.set_files(
        {"name": "a.png", "mimeType": "image/png", "buffer": picture_png(seed=21)}
    )
    picked = _expect_uploaded(page, http, None)
    expected = read_bundle(
        http.post("/api/activations?version=1", files={"file": ("a", picture_png(21))})
    )
    assert picked == expected.image_digest

    page.evaluate(DROP_JS, [list(picture_png(seed=22)), "dropped.png", "drop"])
    dropped = _expect_uploaded(page, http, picked)
    shot(page, "inputs-1-dropped")
    page.evaluate(DROP_JS, [list(picture_png(seed=23)), "pasted.png", "paste"])
    pasted = _expect_uploaded(page, http, dropped)
    # Dropped outside the box: used too, rather than the browser leaving the app to show it.
    page.evaluate(DROP_JS, [list(picture_png(seed=24)), "elsewhere.png", "drop-elsewhere"])
    elsewhere = _expect_uploaded(page, http, pasted)
    assert len({picked, dropped, pasted, elsewhere}) == 4
    for seed, digest in ((22, dropped), (23, pasted)):
        posted = read_bundle(
            http.post("/api/activations?version=1", files={"file": ("x", picture_png(seed))})
        )
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
    open_explorer(page, spa.url + "/")
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
    shot(page, "inputs-2-drawing")
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
    shot(page, "inputs-3-drawing-classified")
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
    open_explorer(page, spa.url + "/")
    example_url = page.url
    example_id = re.search(r"example=([\w.-]+)", example_url)
    assert example_id
    original = _pixels(
        read_bundle(http.get(f"/api/examples/{example_id[1]}/activations?version=1"))
    )

    page.get_by_test_id("channel-red").click()
    no_red = _expect_uploaded(page, http, None)
    expect(page.get_by_test_id("channel-red")).not_to_be_checked()
    pixels = _pixels(_bundle_by_digest(http, no_red))
    assert (pixels[..., 0] == 0).all()
    np.testing.assert_array_equal(pixels[..., 1:], original[..., 1:])
    shot(page, "inputs-4-no-red")

    page.get_by_test_id("channel-green").click()
    only_blue = _expect_uploaded(page, http, no_red)
    pixels = _pixels(_bundle_by_digest(http, only_blue))
    assert (pixels[..., :2] == 0).all()
    np.testing.assert_array_equal(pixels[..., 2], original[..., 2])
    # The input column of the overview shows the red and green channels black.
    expect(page.locator('[data-layer="input"][data-neuron="0"]')).to_have_attribute(
        "aria-label", re.compile(r"values from 0 to 0$")
    )
    shot(page, "inputs-5-only-blue")

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
    open_explorer(page, spa.url + "/")
    page.get_by_test_id("open-camera").click()
    take = page.get_by_test_id("camera-take")
    expect(take).to_have_text("Take the picture", timeout=15_000)
    take.click()
    digest = _expect_uploaded(page, http, None)
    frame = _pixels(_bundle_by_digest(http, digest))
    assert frame.std() > 5  # the fake camera's pattern, not a blank frame
    shot(page, "inputs-6-camera")
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
    open_explorer(page, spa.url + "/")
    page.get_by_test_id("open-camera").click()
    problem = page.get_by_test_id("camera-problem")
    expect(problem).to_be_visible(timeout=15_000)
    expect(problem).to_contain_text(re.compile("No camera was found|not allowed to use the camera"))
    expect(problem).to_contain_text("upload a photo instead")
    expect(page.get_by_test_id("overview")).to_be_visible()
    shot(page, "inputs-7-no-camera")
    context.close()


# --- Errors a student understands ----------------------------------------------------------


@pytest.fixture(scope="module")
def small_limit_spa(stack: Stack) -> Iterator[GatewayThread]:
    """The SPA behind a gateway with a small upload limit, to refuse a large file quickly."""
    gateway = spa_gateway(stack, max_upload_bytes=SMALL_UPLOAD_LIMIT)
    yield gateway
    gateway.stop()


def test_upload_errors_are_explained(small_limit_spa: GatewayThread, page: Page) -> None:
    open_explorer(page, small_limit_spa.url + "/")
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
        shot(page, f"inputs-17-refused-{name.split('.')[0]}")

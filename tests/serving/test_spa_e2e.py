"""The explainer SPA in headless Chromium against the real serving stack.

Needs the built app (`npm ci && npm run build` in frontend/) and Debian's chromium;
Playwright drives it (its own browser download is not used). Screenshots go to
/tmp/cnn101-spa/ to be looked at.
"""

from __future__ import annotations

import gzip
import json
import re

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from services.common.bundles import derive_layers, read_tensors
from tests.serving.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN,
    MAP_TYPES,
    SHOTS,
    layers_of,
    non_blank_canvases,
    open_example,
    picture_png,
    read_bundle,
    shot,
    wait_for_probabilities,
)
from tests.serving.conftest import SPA_DIR, Stack, spa_built
from tests.serving.stack import GatewayThread

# Other modules still import these from here (test_imported_model_e2e, test_model_studio_e2e,
# test_gateway_static and tests/reliability); they live in browser.py and conftest.py.
__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "SHOTS", "SPA_DIR", "_shot", "_spa_built"]
_spa_built = spa_built
_shot = shot


def _magnitudes(page: Page) -> list[float]:
    legends = page.get_by_test_id("scope-legend")
    return [
        float(legends.nth(i).get_attribute("data-magnitude") or "nan")
        for i in range(legends.count())
    ]


def test_overview_draws_an_example(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    page.goto(spa.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"\?model=tiny_vgg&version=1&example=[\w.-]+$"))
    expect(page.get_by_test_id("model-version")).to_have_text("Model tiny_vgg, version 1")
    open_example(page, http, spa, class_index=1)
    expect(page.locator(".class-top")).to_have_count(1)
    # Every neuron drawn: 3 input channels and 10 maps per conv / relu / pool layer.
    map_layers = [layer for layer in layers_of(http) if layer["type"] in MAP_TYPES]
    canvases = non_blank_canvases(page)
    assert canvases["total"] == 3 + 10 * len(map_layers)
    assert canvases["varied"] >= canvases["total"] * 0.9, canvases
    shot(page, "1-overview")


def test_hover_and_colour_scopes(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    expected = open_example(page, http, spa, class_index=1)
    # Hover a conv neuron: ten incoming edges and ten sources light up, its range shows.
    page.locator('[data-layer="conv_2_1"][data-neuron="3"]').hover()
    expect(page.get_by_test_id("active-edges")).to_have_attribute("data-count", "10")
    expect(page.locator(".neuron-source")).to_have_count(10)
    expect(page.get_by_test_id("neuron-info")).to_contain_text("conv_2_1 (conv), neuron 4")
    shot(page, "2-hover-conv")
    page.locator('[data-layer="relu_2_1"][data-neuron="3"]').hover()
    expect(page.get_by_test_id("active-edges")).to_have_attribute("data-count", "1")
    page.locator("[data-class]").nth(2).hover()
    expect(page.get_by_test_id("active-edges")).to_have_attribute("data-count", "10")
    page.mouse.move(0, 0)

    # Keyboard: focus a neuron, move with the arrows; the screen-reader line follows.
    page.locator('[data-layer="conv_1_1"][data-neuron="0"]').focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_test_id("neuron-info")).to_contain_text("conv_1_1 (conv), neuron 2")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("neuron-info")).to_contain_text("relu_1_1 (relu), neuron 2")
    expect(page.locator('[data-layer="relu_1_1"][data-neuron="1"]')).to_be_focused()

    # Colour scopes: one legend per unit (6), per block (2), for the network (1), each the
    # symmetric range of exactly the layers the graph puts in it.
    layers = layers_of(http)
    map_layers = [layer for layer in layers if layer["type"] in MAP_TYPES]
    derived = derive_layers(layers, read_tensors(expected))
    magnitude = {m["name"]: float(np.abs(derived[m["name"]]).max()) for m in map_layers}
    assert len(_magnitudes(page)) == len({layer["unit"] for layer in map_layers})
    page.get_by_label("Module", exact=True).check()
    expect(page).to_have_url(re.compile(r"scope=module"))
    expect(page.get_by_test_id("scope-legend")).to_have_count(2)
    block_1 = max(magnitude[m["name"]] for m in map_layers if m["module"] == "block_1")
    assert _magnitudes(page)[0] == pytest.approx(block_1, rel=1e-6)
    page.get_by_label("Global", exact=True).check()
    expect(page.get_by_test_id("scope-legend")).to_have_count(1)
    assert _magnitudes(page) == [pytest.approx(max(magnitude.values()), rel=1e-6)]
    shot(page, "3-global-scope")


def test_upload_and_shared_link(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    page.goto(spa.url + "/?scope=global")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    before = _magnitudes(page)
    png = picture_png(seed=5)
    page.get_by_test_id("file-input").set_input_files(
        {"name": "gradient.png", "mimeType": "image/png", "buffer": png}
    )
    uploaded = read_bundle(http.post("/api/activations?version=1", files={"file": ("g.png", png)}))
    expect(page).to_have_url(re.compile(rf"image={uploaded.image_digest}"))
    wait_for_probabilities(page, uploaded)
    expect(page.get_by_test_id("current-image")).to_contain_text("your picture")
    expect(page.get_by_test_id("scope-legend")).to_have_count(1)
    assert _magnitudes(page) != before  # the legend follows the new image
    shot(page, "4-upload")

    # The link reproduces the view in a fresh page (image by digest, scope kept).
    fresh = page.context.new_page()
    fresh.goto(page.url)
    expect(fresh.get_by_label("Global", exact=True)).to_be_checked(timeout=30_000)
    wait_for_probabilities(fresh, uploaded)
    fresh.close()


SWITCH_JS = f"""async (id) => {{
  const before = {DRAWN}.length;
  const start = performance.now();
  document.querySelector(`[data-example="${{id}}"]`).click();
  while ({DRAWN}.length === before) await new Promise((resolve) => setTimeout(resolve, 2));
  return {DRAWN}.at(-1).startTime - start;
}}"""
BYTES_JS = """() => {
  const entries = [...performance.getEntriesByType('navigation'),
                   ...performance.getEntriesByType('resource')];
  const counted = entries.filter((e) => !/\\/api\\/examples\\/[^/]+\\/image/.test(e.name));
  return counted.map((e) => ({ name: e.name, bytes: e.transferSize, body: e.encodedBodySize }));
}"""


def test_load_and_switch_figures(spa: GatewayThread, browser: Browser) -> None:
    """Prints the issue's figures (first overview, example switch, bytes); bounds are loose
    because this machine's two cores are shared, the targets are 1 s, 100 ms, 500 KB gzipped."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})  # empty cache
    page = context.new_page()
    page.goto(spa.url + "/")
    page.wait_for_function(f"() => {DRAWN}.length > 0", timeout=30_000)
    first_overview_ms = page.evaluate(f"() => {DRAWN}[0].startTime")
    transfers = page.evaluate(BYTES_JS)
    page.get_by_test_id("class-select").select_option(index=3)
    ids = page.locator("[data-example]").evaluate_all("els => els.map(e => e.dataset.example)")
    cold_switch_ms = page.evaluate(SWITCH_JS, ids[0])
    warm_switch_ms = page.evaluate(SWITCH_JS, ids[1])  # not cached in the browser either
    back_switch_ms = page.evaluate(SWITCH_JS, ids[0])  # already seen: no request
    context.close()
    # The gateway does not compress; what gzip would make of the same first load.
    gzipped = sum(len(gzip.compress(httpx.get(t["name"]).content)) for t in transfers)
    figures = {
        "first_overview_ms": round(first_overview_ms),
        "example_switch_ms": round(cold_switch_ms),
        "example_switch_second_ms": round(warm_switch_ms),
        "example_switch_seen_ms": round(back_switch_ms),
        "first_load_bytes_without_example_images": sum(t["bytes"] for t in transfers),
        "first_load_gzipped_bytes": gzipped,
        "transfers": transfers,
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "figures.json").write_text(json.dumps(figures, indent=1))
    print("\nSPA figures:", {k: v for k, v in figures.items() if k != "transfers"})
    assert first_overview_ms < 10_000
    assert max(cold_switch_ms, warm_switch_ms) < 3_000
    assert back_switch_ms < 1_000


def test_a_refused_upload_shows_the_gateway_s_message(spa: GatewayThread, page: Page) -> None:
    page.goto(spa.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    page.get_by_test_id("file-input").set_input_files(
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"these are not pixels"}
    )
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    message = httpx.post(
        spa.url + "/api/activations", files={"file": ("notes.png", b"these are not pixels")}
    ).json()["error"]["message"]
    expect(alert).to_have_text(message)
    expect(page.get_by_test_id("overview")).to_be_visible()  # the last image stays shown
    shot(page, "5-refused-upload")


def test_unavailable_model_is_retried_with_a_visible_message(
    stack: Stack, spa: GatewayThread, page: Page
) -> None:
    page.goto(spa.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    stack.inference.stop(grace=0)
    try:
        page.get_by_test_id("file-input").set_input_files(
            {"name": "later.png", "mimeType": "image/png", "buffer": picture_png(seed=77)}
        )
        expect(page.locator(".status-retrying")).to_contain_text("Trying again", timeout=15_000)
        shot(page, "6-retrying")
    finally:
        stack.restart_inference()
    expect(page.get_by_test_id("status")).to_have_count(0, timeout=30_000)
    expect(page).to_have_url(re.compile(r"image=[0-9a-f]{64}"))

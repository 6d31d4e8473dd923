"""The explainer SPA in headless Chromium against the real serving stack.

Needs the built app (`npm ci && npm run build` in frontend/) and Debian's chromium;
Playwright drives it (its own browser download is not used). Screenshots go to
/tmp/cnn101-spa/ to be looked at.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from cnn101.v1 import activations_pb2
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from services.activations.server import build_server as build_activation_server
from services.activations.settings import ActivationSettings
from services.common.bundles import derive_layers, read_tensors
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.inference.server import build_server as build_inference_server
from services.inference.settings import InferenceSettings
from services.pipeline.architecture import Architecture
from tests.exports import export_untrained
from tests.serving.conftest import Stack
from tests.serving.stack import GatewayThread, LoopThread, wait_until

# CNN101_TEST_SPA_DIR lets parallel work test its own build (npx vite build --outDir ...).
SPA_DIR = Path(
    os.environ.get("CNN101_TEST_SPA_DIR", Path(__file__).resolve().parents[2] / "frontend" / "dist")
)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path("/tmp/cnn101-spa")
MAP_TYPES = {"conv", "relu", "max_pool"}


def _spa_built() -> None:
    assert (SPA_DIR / "index.html").is_file(), (
        f"{SPA_DIR / 'index.html'} is missing: build the SPA first "
        "(cd frontend && npm ci && npm run build)"
    )


@pytest.fixture(scope="module")
def spa(stack: Stack) -> Iterator[GatewayThread]:
    """A gateway of our own that serves frontend/dist, in front of the shared stack."""
    _spa_built()
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=stack.activations_target,
                data_dir=stack.data_dir,
                spa_dir=SPA_DIR,
                retry_after_seconds=1,
                broker_url=stack.redis.url_for(1),
                result_backend=stack.redis.url_for(1),
            )
        )
    )
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture(scope="module")
def second_model(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayThread]:
    """A differently shaped CNN behind its own services: 3 convs of 8 5x5 filters on 48x48."""
    _spa_built()
    base_path = tmp_path_factory.mktemp("second-model")
    arch = Architecture(input_size=48, blocks=3, convs_per_block=1, filters=8, kernel_size=5)
    export_untrained(base_path, "small3", version=1, arch=arch, seed=3)
    inference, inference_port = build_inference_server(
        InferenceSettings(inference_port=0, model_base_path=base_path, inference_poll_seconds=0.5)
    )
    inference.start()
    wait_until(lambda: inference.registry.serving, "inference serves small3")
    loop = LoopThread()
    activations = loop.run(
        build_activation_server(
            ActivationSettings(
                activations_port=0,
                inference_target=f"127.0.0.1:{inference_port}",
                redis_url=stack.redis.url,
                cache_prefix=f"{stack.prefix}-small3",
                model_base_path=base_path,
                data_dir=stack.data_dir,
            )
        )
    )
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=f"127.0.0.1:{activations.port}",
                model_name="small3",
                data_dir=stack.data_dir,
                spa_dir=SPA_DIR,
                broker_url=stack.redis.url_for(1),
                result_backend=stack.redis.url_for(1),
            )
        )
    )
    gateway.start()
    yield gateway
    gateway.stop()
    loop.run(activations.stop(grace=0))
    loop.close()
    inference.stop(grace=0)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _png(seed: int) -> bytes:
    """A made-up picture: a colour gradient with noise (no dataset image)."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 255, 96, dtype=np.float32)
    pixels = np.stack(
        [np.add.outer(ramp, ramp) / 2, np.tile(ramp, (96, 1)), np.full((96, 96), 40.0)], axis=-1
    )
    pixels = np.clip(pixels + rng.normal(0, 20, pixels.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def _bundle(response: httpx.Response) -> activations_pb2.ActivationBundle:
    assert response.status_code == 200, response.text
    return activations_pb2.ActivationBundle.FromString(response.content)


def _shown_probabilities(page: Page) -> list[float]:
    rows = page.locator("[data-class]")
    expect(rows).to_have_count(10)
    return [float(rows.nth(i).get_attribute("data-probability") or "nan") for i in range(10)]


def _magnitudes(page: Page) -> list[float]:
    legends = page.get_by_test_id("scope-legend")
    return [
        float(legends.nth(i).get_attribute("data-magnitude") or "nan")
        for i in range(legends.count())
    ]


def _non_blank_canvases(page: Page) -> dict[str, int]:
    result: dict[str, int] = page.evaluate(
        """() => {
          const canvases = [...document.querySelectorAll('canvas.heatmap')];
          const varied = canvases.filter((canvas) => {
            const { width, height } = canvas;
            const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
            for (let i = 4; i < data.length; i += 4) {
              if (data[i] !== data[0] || data[i + 1] !== data[1]) return true;
              if (data[i + 2] !== data[2]) return true;
            }
            return false;
          });
          return { total: canvases.length, varied: varied.length };
        }"""
    )
    return result


def _wait_for_probabilities(page: Page, bundle: activations_pb2.ActivationBundle) -> None:
    """Until the class bars show this bundle (the previous image's bars may still be up)."""
    page.wait_for_function(
        "p => document.querySelector('[data-class]')?.dataset.probability == String(p)",
        arg=float(np.float32(bundle.probabilities[0])),
    )
    assert np.allclose(_shown_probabilities(page), bundle.probabilities, rtol=1e-6, atol=0)


def _layers(http: httpx.Client) -> list[dict[str, Any]]:
    layers: list[dict[str, Any]] = http.get("/api/models/tiny_vgg/versions/1").json()[
        "description"
    ]["layers"]
    return layers


def _open_example(
    page: Page, http: httpx.Client, spa: GatewayThread, class_index: int
) -> activations_pb2.ActivationBundle:
    """Opens the app, picks the first example of a class, returns that example's bundle."""
    page.goto(spa.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    page.get_by_test_id("class-select").select_option(index=class_index)
    thumbnail = page.locator("[data-example]").first
    example_id = thumbnail.get_attribute("data-example")
    thumbnail.click()
    expect(page).to_have_url(re.compile(rf"example={example_id}$"))
    bundle = _bundle(http.get(f"/api/examples/{example_id}/activations?version=1"))
    _wait_for_probabilities(page, bundle)
    return bundle


def test_overview_draws_an_example(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    page.goto(spa.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"\?model=tiny_vgg&version=1&example=[\w.-]+$"))
    expect(page.get_by_test_id("model-version")).to_have_text("Model tiny_vgg, version 1")
    _open_example(page, http, spa, class_index=1)
    expect(page.locator(".class-top")).to_have_count(1)
    # Every neuron drawn: 3 input channels and 10 maps per conv / relu / pool layer.
    map_layers = [layer for layer in _layers(http) if layer["type"] in MAP_TYPES]
    canvases = _non_blank_canvases(page)
    assert canvases["total"] == 3 + 10 * len(map_layers)
    assert canvases["varied"] >= canvases["total"] * 0.9, canvases
    _shot(page, "1-overview")


def test_hover_and_colour_scopes(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    expected = _open_example(page, http, spa, class_index=1)
    # Hover a conv neuron: ten incoming edges and ten sources light up, its range shows.
    page.locator('[data-layer="conv_2_1"][data-neuron="3"]').hover()
    expect(page.get_by_test_id("active-edges")).to_have_attribute("data-count", "10")
    expect(page.locator(".neuron-source")).to_have_count(10)
    expect(page.get_by_test_id("neuron-info")).to_contain_text("conv_2_1 (conv), neuron 4")
    _shot(page, "2-hover-conv")
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
    layers = _layers(http)
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
    _shot(page, "3-global-scope")


def test_upload_and_shared_link(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    page.goto(spa.url + "/?scope=global")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    before = _magnitudes(page)
    png = _png(seed=5)
    page.get_by_test_id("file-input").set_input_files(
        {"name": "gradient.png", "mimeType": "image/png", "buffer": png}
    )
    uploaded = _bundle(http.post("/api/activations?version=1", files={"file": ("g.png", png)}))
    expect(page).to_have_url(re.compile(rf"image={uploaded.image_digest}"))
    _wait_for_probabilities(page, uploaded)
    expect(page.get_by_test_id("current-image")).to_contain_text("your picture")
    expect(page.get_by_test_id("scope-legend")).to_have_count(1)
    assert _magnitudes(page) != before  # the legend follows the new image
    _shot(page, "4-upload")

    # The link reproduces the view in a fresh page (image by digest, scope kept).
    fresh = page.context.new_page()
    fresh.goto(page.url)
    expect(fresh.get_by_label("Global", exact=True)).to_be_checked(timeout=30_000)
    _wait_for_probabilities(fresh, uploaded)
    fresh.close()


def test_convolutional_intermediate_view(spa: GatewayThread, browser: Browser) -> None:
    for reduced in (False, True):
        context = browser.new_context(
            viewport={"width": 1440, "height": 900},
            reduced_motion="reduce" if reduced else "no-preference",
        )
        page = context.new_page()
        page.goto(spa.url + "/")
        expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
        page.locator('[data-layer="conv_2_1"][data-neuron="3"]').click()
        expect(page).to_have_url(re.compile(r"neuron=conv_2_1%3A3"))
        view = page.get_by_test_id("conv-view")
        expect(view).to_be_visible(timeout=30_000)
        expect(view.locator(".conv-row")).to_have_count(10)  # one per max_pool_1 channel
        play = page.get_by_test_id("play-pause")
        if reduced:
            expect(play).to_have_text("Play")  # never starts moving by itself
        else:
            expect(play).to_have_text("Pause")
            play.click()
            expect(play).to_have_text("Play")
        before = page.get_by_test_id("window-position").inner_text()
        page.get_by_test_id("step").click()
        expect(page.get_by_test_id("window-position")).not_to_have_text(before)
        formula = page.get_by_test_id("conv-formula")
        total = float(formula.get_attribute("data-total") or "nan")
        model = float(formula.get_attribute("data-model") or "nan")
        assert total == pytest.approx(model, rel=1e-5, abs=1e-6)
        _shot(page, f"7-conv-view{'-reduced-motion' if reduced else ''}")
        page.get_by_test_id("close-conv").click()
        expect(view).to_have_count(0)
        context.close()


def test_a_differently_shaped_model_lays_out_from_its_graph(
    second_model: GatewayThread, page: Page
) -> None:
    http = httpx.Client(base_url=second_model.url, timeout=60)
    layers: list[dict[str, Any]] = http.get("/api/models/small3").json()["description"]["layers"]
    page.goto(second_model.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"model=small3&version=1&example="))
    example_id = re.search(r"example=([\w.-]+)", page.url)
    assert example_id
    expected = _bundle(http.get(f"/api/examples/{example_id[1]}/activations?version=1"))
    assert np.allclose(_shown_probabilities(page), expected.probabilities, rtol=1e-6, atol=0)
    map_layers = [layer for layer in layers if layer["type"] in MAP_TYPES]
    assert len(map_layers) == 9
    canvases = _non_blank_canvases(page)
    assert canvases["total"] == 3 + 8 * len(map_layers)
    assert canvases["varied"] >= canvases["total"] * 0.8, canvases
    columns = page.locator(".column-title").evaluate_all("els => els.map(e => e.dataset.column)")
    assert columns == ["input", *(layer["name"] for layer in map_layers), "softmax"]
    page.locator('[data-layer="conv_2_1"][data-neuron="0"]').hover()
    expect(page.get_by_test_id("active-edges")).to_have_attribute("data-count", "8")
    _shot(page, "8-second-model")
    page.locator('[data-layer="conv_3_1"][data-neuron="2"]').click()
    view = page.get_by_test_id("conv-view")
    expect(view.locator(".conv-row")).to_have_count(8, timeout=30_000)
    expect(view).to_contain_text("5\u00d75 slice")
    page.get_by_test_id("play-pause").click()
    formula = page.get_by_test_id("conv-formula")
    total = float(formula.get_attribute("data-total") or "nan")
    model = float(formula.get_attribute("data-model") or "nan")
    assert total == pytest.approx(model, rel=1e-5, abs=1e-6)
    _shot(page, "9-second-model-conv")
    page.get_by_test_id("close-conv").click()
    page.locator("[data-class]").nth(1).click()
    flat = next(layer for layer in layers if layer["type"] == "flatten")["output_shape"][0]
    expect(page.get_by_test_id("flatten-view").locator(".flatten-line")).to_have_count(flat)
    _shot(page, "11-second-model-flatten")


def test_flatten_and_softmax_views(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    layers = _layers(http)
    flatten = next(layer for layer in layers if layer["type"] == "flatten")
    count = int(np.prod(flatten["output_shape"]))  # 1690 for Tiny VGG: every element, no sample
    bundle = _open_example(page, http, spa, class_index=2)
    page.locator("[data-class]").nth(2).click()
    expect(page).to_have_url(re.compile(r"neuron=softmax%3A2"))
    view = page.get_by_test_id("flatten-view")
    expect(view).to_be_visible(timeout=30_000)
    expect(view.locator(".flatten-line")).to_have_count(count)
    line = view.locator(".flatten-line").nth(count // 2)
    index = line.get_attribute("data-index")
    settle = (
        "() => new Promise((done) => {"
        " const y = scrollY; setTimeout(() => done(scrollY === y), 300); })"
    )
    while not page.evaluate(settle):  # the view scrolls itself into sight (smoothly)
        pass
    line.hover(force=True)
    expect(page.get_by_test_id("flatten-highlight")).to_have_attribute("data-index", index or "")
    expect(page.get_by_test_id("flatten-readout")).to_contain_text("\u00d7 weight")
    logit = page.get_by_test_id("logit-formula")
    assert float(logit.get_attribute("data-logit") or "nan") == pytest.approx(
        float(logit.get_attribute("data-model") or "nan"), abs=1e-4
    )
    shown = page.get_by_test_id("softmax-probability").inner_text()
    decimals = len(shown.split(".")[1])
    assert float(shown) == pytest.approx(bundle.probabilities[2], abs=0.5 * 10**-decimals)
    expect(page.get_by_test_id("softmax-view").locator("[data-testid=logit]")).to_have_count(10)
    _shot(page, "10-flatten-softmax")
    page.get_by_test_id("close-flatten").click()
    expect(view).to_have_count(0)


DRAWN = "performance.getEntriesByName('cnn101:overview-drawn')"
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
    _shot(page, "5-refused-upload")


def test_unavailable_model_is_retried_with_a_visible_message(
    stack: Stack, spa: GatewayThread, page: Page
) -> None:
    page.goto(spa.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    stack.inference.stop(grace=0)
    try:
        page.get_by_test_id("file-input").set_input_files(
            {"name": "later.png", "mimeType": "image/png", "buffer": _png(seed=77)}
        )
        expect(page.locator(".status-retrying")).to_contain_text("Trying again", timeout=15_000)
        _shot(page, "6-retrying")
    finally:
        stack.restart_inference()
    expect(page.get_by_test_id("status")).to_have_count(0, timeout=30_000)
    expect(page).to_have_url(re.compile(r"image=[0-9a-f]{64}"))

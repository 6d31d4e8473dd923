"""A second, differently shaped and really trained CNN in the explorer, in headless Chromium.

The gateway serves two models: an untrained Tiny VGG (the default) and ``small3``, three
conv layers of 8 5x5 filters on 48x48 input that the fixture trains (briefly, with the
pipeline's own recipe on a synthetic data set) and exports. The student picks it in the
header; every view must then follow its graph: columns, shapes, neuron counts, kernel size,
flatten length, classes. Screenshots go to /tmp/cnn101-spa/ to be looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest
from cnn101.v1 import activations_pb2
from playwright.sync_api import Page, expect

from services.pipeline.architecture import Architecture
from tests.exports import export_trained, export_untrained
from tests.serving.browser import shot
from tests.serving.conftest import Stack, own_model_services
from tests.serving.stack import GatewayThread

SMALL3 = Architecture(input_size=48, blocks=3, convs_per_block=1, filters=8, kernel_size=5)
MAP_TYPES = {"conv", "relu", "max_pool"}


@dataclass
class TwoModels:
    gateway: GatewayThread
    http: httpx.Client

    def layers(self, model: str) -> list[dict[str, Any]]:
        layers: list[dict[str, Any]] = self.http.get(f"/api/models/{model}").json()["description"][
            "layers"
        ]
        return layers

    def bundle(self, model: str, example: str) -> activations_pb2.ActivationBundle:
        response = self.http.get(f"/api/examples/{example}/activations?model={model}&version=1")
        assert response.status_code == 200, response.text
        return activations_pb2.ActivationBundle.FromString(response.content)


@pytest.fixture(scope="module")
def two_models(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoModels]:
    """Inference, activations and a gateway of our own over a base path with both models."""
    root = tmp_path_factory.mktemp("two-models")
    base_path = root / "models"
    export_untrained(base_path, "tiny_vgg", version=1, seed=11)
    export_trained(base_path, root / "data", SMALL3, "small3", epochs=2, seed=3)
    # Students are offered the models the instructor published (the studio service's list).
    with (
        own_model_services(
            stack,
            base_path,
            ["tiny_vgg", "small3"],
            "two-models",
            published=["small3"],
            model_name="tiny_vgg",
            retry_after_seconds=1,
        ) as own,
        httpx.Client(base_url=own.gateway.url, timeout=60) as http,
    ):
        yield TwoModels(own.gateway, http)


def _wait_for_bundle(page: Page, bundle: activations_pb2.ActivationBundle) -> None:
    """Until the class bars show exactly this bundle's probabilities."""
    page.wait_for_function(
        "p => document.querySelector('[data-class]')?.dataset.probability == String(p)",
        arg=float(np.float32(bundle.probabilities[0])),
    )
    rows = page.locator("[data-class]")
    expect(rows).to_have_count(len(bundle.probabilities))
    shown = [float(rows.nth(i).get_attribute("data-probability") or "nan") for i in range(10)]
    assert np.allclose(shown, bundle.probabilities, rtol=1e-6, atol=0)


def _choose_small3(page: Page, models: TwoModels) -> tuple[str, activations_pb2.ActivationBundle]:
    """Open the app on Tiny VGG, pick small3 in the header; the example stays."""
    page.goto(models.gateway.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"model=tiny_vgg&version=1&example="))
    choice = page.get_by_test_id("model-select")
    assert sorted(choice.locator("option").all_inner_texts()) == ["small3", "tiny_vgg"]
    example = re.search(r"example=([\w.-]+)", page.url)
    assert example
    choice.select_option("small3")
    expect(page).to_have_url(re.compile(rf"model=small3&version=1&example={example[1]}$"))
    bundle = models.bundle("small3", example[1])
    _wait_for_bundle(page, bundle)
    return example[1], bundle


def test_the_trained_second_model_is_served(two_models: TwoModels) -> None:
    listed = two_models.http.get("/api/models").json()
    assert listed["default"] == "tiny_vgg"
    assert sorted(model["name"] for model in listed["models"]) == ["small3", "tiny_vgg"]
    description = two_models.http.get("/api/models/small3").json()["description"]
    assert description["training"]["train_images"] == 60  # trained, not just initialised
    assert description["input"]["shape"][:2] == [48, 48]
    convs = [layer for layer in description["layers"] if layer["type"] == "conv"]
    assert [(c["kernel_size"], c["filters"]) for c in convs] == [([5, 5], 8)] * 3


def test_overview_follows_the_second_model_s_graph(two_models: TwoModels, page: Page) -> None:
    _choose_small3(page, two_models)
    layers = two_models.layers("small3")
    map_layers = [layer for layer in layers if layer["type"] in MAP_TYPES]
    titles = page.locator(".column-title")
    assert titles.evaluate_all("els => els.map(e => e.dataset.column)") == [
        "input",
        *(layer["name"] for layer in map_layers),
        "softmax",
    ]
    shapes = page.locator(".column-shape").evaluate_all("els => els.map(e => e.textContent)")
    assert shapes == [
        "48\u00d748\u00d73",
        *("\u00d7".join(map(str, layer["output_shape"])) for layer in map_layers),
        "10 classes",
    ]
    expect(page.locator('[data-layer="input"]')).to_have_count(3)
    for layer in map_layers:
        expect(page.locator(f'[data-layer="{layer["name"]}"]')).to_have_count(8)
    # Each heatmap at the layer's own resolution: 44x44 after the first 5x5 conv, 2x2 last.
    sizes = page.locator('[data-layer="conv_1_1"] canvas.heatmap').first.evaluate(
        "c => [c.width, c.height]"
    )
    assert sizes == [44, 44]
    last = page.locator('[data-layer="max_pool_3"] canvas.heatmap').first
    assert last.evaluate("c => [c.width, c.height]") == [2, 2]
    classes = two_models.http.get("/api/models/small3").json()["description"]["classes"]
    shown = page.locator("[data-class]").evaluate_all("els => els.map(e => e.dataset.class)")
    assert shown == [c["name"] for c in classes]
    page.locator('[data-layer="conv_2_1"][data-neuron="0"]').hover()
    expect(page.get_by_test_id("active-edges")).to_have_attribute("data-count", "8")
    shot(page, "20-second-model-chosen")


def test_conv_view_of_a_5x5_filter(two_models: TwoModels, page: Page) -> None:
    _choose_small3(page, two_models)
    for layer, channels in (("conv_1_1", 3), ("conv_3_1", 8)):
        page.locator(f'[data-layer="{layer}"][data-neuron="2"]').click()
        expect(page).to_have_url(re.compile(rf"neuron={layer}%3A2"))
        view = page.get_by_test_id("conv-view")
        expect(view.locator(".conv-row")).to_have_count(channels, timeout=30_000)
        expect(view).to_contain_text("5\u00d75 slice")
        play = page.get_by_test_id("play-pause")
        if play.inner_text() == "Pause":
            play.click()
        formula = page.get_by_test_id("conv-formula")
        total = float(formula.get_attribute("data-total") or "nan")
        model = float(formula.get_attribute("data-model") or "nan")
        assert total == pytest.approx(model, rel=1e-5, abs=1e-6)
        shot(page, f"21-second-model-{layer}")
        page.get_by_test_id("close-conv").click()
        expect(view).to_have_count(0)


def test_flatten_view_and_back_to_tiny_vgg(two_models: TwoModels, page: Page) -> None:
    example, bundle = _choose_small3(page, two_models)
    layers = two_models.layers("small3")
    flat = next(layer for layer in layers if layer["type"] == "flatten")["output_shape"][0]
    assert flat == 2 * 2 * 8
    top = int(np.argmax(bundle.probabilities))
    page.locator("[data-class]").nth(top).click()
    view = page.get_by_test_id("flatten-view")
    expect(view.locator(".flatten-line")).to_have_count(flat, timeout=30_000)
    logit = page.get_by_test_id("logit-formula")
    assert float(logit.get_attribute("data-logit") or "nan") == pytest.approx(
        float(logit.get_attribute("data-model") or "nan"), abs=1e-4
    )
    shot(page, "22-second-model-flatten")
    # Back to the default model: its own graph again, the neuron selection dropped.
    page.get_by_test_id("model-select").select_option("tiny_vgg")
    expect(page).to_have_url(re.compile(rf"model=tiny_vgg&version=1&example={example}$"))
    _wait_for_bundle(page, two_models.bundle("tiny_vgg", example))
    expect(page.locator('[data-layer="conv_1_1"]')).to_have_count(10)
    expect(page.locator('[data-layer="conv_1_1"] canvas.heatmap').first).to_have_attribute(
        "width", "62"
    )
    expect(view).to_have_count(0)
    # The browser's Back button returns to small3.
    page.go_back()
    expect(page).to_have_url(re.compile(r"model=small3&version=1"))
    expect(page.locator('[data-layer="conv_1_1"]')).to_have_count(8, timeout=30_000)


# What the page had asked for when its first overview was drawn.
BEFORE_THE_OVERVIEW_JS = """() => {
  const drawn = performance.getEntriesByName('cnn101:overview-drawn')[0].startTime;
  return performance.getEntriesByType('resource')
    .filter((entry) => entry.startTime <= drawn).map((entry) => entry.name);
}"""


def test_first_load_leaves_views_for_later_and_hover_loads_early(
    two_models: TwoModels, page: Page
) -> None:
    """What the performance rests on: code loaded when needed, bundles asked for on hover."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(two_models.gateway.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")
    scripts = [url for url in page.evaluate(BEFORE_THE_OVERVIEW_JS) if url.endswith(".js")]
    # Up to the first overview: the page's entry, the chunk it shares with the study pages
    # (React) and the one it shares with the instructor's dashboard (URL state, lesson
    # links, the model graph); not the views' code, which the idle page fetches after it
    # (tests/serving/test_spa_prefetch_e2e.py), and never the playground's.
    assert len(scripts) <= 3, scripts
    assert not [url for url in scripts if "SelectedNeuron" in url]
    assert not [url for url in requested if "Playground" in url]
    assert sum(url.removeprefix(two_models.gateway.url) == "/api/models" for url in requested) == 1
    thumbnail = page.locator("[data-example]").nth(3)
    example = thumbnail.get_attribute("data-example")
    # (the SPA adds &fingerprint=<the version's files>, so the bundle may be kept for ever)
    address = f"/api/examples/{example}/activations?model=tiny_vgg&version=1"
    with page.expect_request(lambda request: address in request.url):
        thumbnail.hover()  # no click yet
    before = len(requested)
    thumbnail.click()
    _wait_for_bundle(page, two_models.bundle("tiny_vgg", example or ""))
    assert not [url for url in requested[before:] if address in url]  # not asked twice
    page.locator('[data-layer="conv_1_1"][data-neuron="0"]').click()
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=30_000)
    assert [url for url in requested if "SelectedNeuron" in url]  # its code is here

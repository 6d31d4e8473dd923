"""The intermediate views in headless Chromium: a convolution's channels, flatten and softmax,
and a differently shaped model laid out from its own graph.

Needs the built app and Debian's chromium (see test_spa_e2e.py). Screenshots go to
/tmp/cnn101-spa/ to be looked at.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.serving.browser import (
    MAP_TYPES,
    layers_of,
    non_blank_canvases,
    open_example,
    read_bundle,
    shot,
    shown_probabilities,
)
from tests.serving.stack import GatewayThread


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
        shot(page, f"7-conv-view{'-reduced-motion' if reduced else ''}")
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
    expected = read_bundle(http.get(f"/api/examples/{example_id[1]}/activations?version=1"))
    assert np.allclose(shown_probabilities(page), expected.probabilities, rtol=1e-6, atol=0)
    map_layers = [layer for layer in layers if layer["type"] in MAP_TYPES]
    assert len(map_layers) == 9
    canvases = non_blank_canvases(page)
    assert canvases["total"] == 3 + 8 * len(map_layers)
    assert canvases["varied"] >= canvases["total"] * 0.8, canvases
    columns = page.locator(".column-title").evaluate_all("els => els.map(e => e.dataset.column)")
    assert columns == ["input", *(layer["name"] for layer in map_layers), "softmax"]
    page.locator('[data-layer="conv_2_1"][data-neuron="0"]').hover()
    expect(page.get_by_test_id("active-edges")).to_have_attribute("data-count", "8")
    shot(page, "8-second-model")
    page.locator('[data-layer="conv_3_1"][data-neuron="2"]').click()
    view = page.get_by_test_id("conv-view")
    expect(view.locator(".conv-row")).to_have_count(8, timeout=30_000)
    expect(view).to_contain_text("5\u00d75 slice")
    page.get_by_test_id("play-pause").click()
    formula = page.get_by_test_id("conv-formula")
    total = float(formula.get_attribute("data-total") or "nan")
    model = float(formula.get_attribute("data-model") or "nan")
    assert total == pytest.approx(model, rel=1e-5, abs=1e-6)
    shot(page, "9-second-model-conv")
    page.get_by_test_id("close-conv").click()
    page.locator("[data-class]").nth(1).click()
    flat = next(layer for layer in layers if layer["type"] == "flatten")["output_shape"][0]
    expect(page.get_by_test_id("flatten-view").locator(".flatten-line")).to_have_count(flat)
    shot(page, "11-second-model-flatten")


def test_flatten_and_softmax_views(spa: GatewayThread, page: Page) -> None:
    http = httpx.Client(base_url=spa.url, timeout=60)
    layers = layers_of(http)
    flatten = next(layer for layer in layers if layer["type"] == "flatten")
    count = int(np.prod(flatten["output_shape"]))  # 1690 for Tiny VGG: every element, no sample
    bundle = open_example(page, http, spa, class_index=2)
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
    shot(page, "10-flatten-softmax")
    page.get_by_test_id("close-flatten").click()
    expect(view).to_have_count(0)

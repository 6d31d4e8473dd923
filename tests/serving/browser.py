"""The browser side of the e2e tests, one copy for every module: Chromium, pages, screenshots.

``tests/serving/conftest.py`` registers the fixtures here (``browser``, ``page``, ``people``)
for every module under tests/serving/. The browser is module-scoped, not session-scoped:
Playwright's sync API keeps an event loop running in the thread while it is open, so a
session-long one would break every later ``asyncio.run`` and every module that starts
Playwright itself (tests/reliability, test_model_studio_e2e). Each test gets fresh
contexts (cookies, storage), so tests stay independent. The helpers read what the
explorer shows (its class bars, its drawn heatmaps) the same way in every module.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from cnn101.v1 import activations_pb2
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.serving.stack import GatewayThread

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
#: Layer types the overview draws as feature maps (one canvas per neuron).
MAP_TYPES = {"conv", "relu", "max_pool"}
#: The performance marks the overview leaves after each full redraw (Overview.tsx).
DRAWN = "performance.getEntriesByName('cnn101:overview-drawn')"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context's page; the test fails if the page throws an uncaught error."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


class Contexts:
    """Browser contexts (separate cookies and storage: separate people), checked for errors."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def page(self, width: int = 1280, height: int = 720) -> Page:
        context = self.browser.new_context(viewport={"width": width, "height": height})
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser: Browser) -> Iterator[Contexts]:
    contexts = Contexts(browser)
    yield contexts
    contexts.close()
    assert not contexts.errors, f"uncaught errors in the pages: {contexts.errors}"


def shot(page: Page, name: str) -> None:
    """A full-page screenshot, /tmp/cnn101-spa/<name>.png, to be looked at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def picture_png(seed: int) -> bytes:
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


def read_bundle(response: httpx.Response) -> activations_pb2.ActivationBundle:
    assert response.status_code == 200, response.text
    return activations_pb2.ActivationBundle.FromString(response.content)


def layers_of(http: httpx.Client) -> list[dict[str, Any]]:
    """The layer list of Tiny VGG version 1, as the gateway describes it."""
    layers: list[dict[str, Any]] = http.get("/api/models/tiny_vgg/versions/1").json()[
        "description"
    ]["layers"]
    return layers


def shown_probabilities(page: Page) -> list[float]:
    rows = page.locator("[data-class]")
    expect(rows).to_have_count(10)
    return [float(rows.nth(i).get_attribute("data-probability") or "nan") for i in range(10)]


def non_blank_canvases(page: Page) -> dict[str, int]:
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


def wait_for_probabilities(page: Page, shown: activations_pb2.ActivationBundle) -> None:
    """Until the class bars show this bundle (the previous image's bars may still be up)."""
    page.wait_for_function(
        "p => document.querySelector('[data-class]')?.dataset.probability == String(p)",
        arg=float(np.float32(shown.probabilities[0])),
    )
    assert np.allclose(shown_probabilities(page), shown.probabilities, rtol=1e-6, atol=0)


def open_example(
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
    expected = read_bundle(http.get(f"/api/examples/{example_id}/activations?version=1"))
    wait_for_probabilities(page, expected)
    return expected


def open_explorer(page: Page, url: str) -> None:
    """Opens the explorer at ``url`` and waits until it has drawn, with no status message up."""
    page.goto(url)
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("status")).to_have_count(0, timeout=30_000)


def overview_page(
    browser: Browser, url: str, width: int, height: int, *, reduced: bool, scale: float = 1
) -> Page:
    """A fresh context ``width`` x ``height`` CSS pixels (``scale`` device pixels each, 2 for a
    200 % zoom), with or without reduced motion, showing the explorer's overview at ``url``."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
        reduced_motion="reduce" if reduced else "no-preference",
    )
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    return page


def settle(page: Page, settled: str, tries: int = 100) -> None:
    """Evaluates the script ``settled`` (which waits a moment itself) until it answers true."""
    for _ in range(tries):
        if page.evaluate(settled):
            return
    raise AssertionError("transitions never ended")


def inside(inner: list[float], outer: list[float], slack: float = 1.0) -> bool:
    """Whether box ``inner`` ([left, top, right, bottom]) lies within ``outer``."""
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def centre_y(box: list[float]) -> float:
    return (box[1] + box[3]) / 2


def strictly_in(point: list[float], box: list[float], margin: float = 1.5) -> bool:
    """Whether ``point`` is inside ``box`` by more than ``margin`` on every side."""
    return (
        box[0] + margin < point[0] < box[2] - margin
        and box[1] + margin < point[1] < box[3] - margin
    )

"""The explorer while a service restarts, in headless Chromium against the real stack.

The inference service, the activation-cache service and the gateway itself are stopped and
started again under the page: the page says what is happening and counts down to its next
try, keeps the last overview it drew, and draws the new picture by itself once the service
is back. Every part the session's stack shares is running again when a test ends.
Screenshots go to /tmp/cnn101-spa/outage-*.png to be looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import redis
from cnn101.v1 import activations_pb2
from playwright.sync_api import Page, Route, expect

from services.activations.server import build_server as build_activation_server
from services.activations.settings import ActivationSettings
from tests.serving.browser import (
    non_blank_canvases,
    read_bundle,
    shot,
    shown_probabilities,
    wait_for_probabilities,
)
from tests.serving.conftest import Stack, spa_gateway
from tests.serving.stack import GatewayThread, wait_until


@dataclass(frozen=True)
class Shown:
    """What the explorer shows of one picture: its class bars and its drawn heatmaps."""

    probabilities: list[float]
    canvases: dict[str, int]


# The spa fixture's gateway asks for Retry-After: 1, so the page's waits are 1, 2, 4, 8, 10 s.
RECOVERY_MS = 45_000


@pytest.fixture
def http(spa: GatewayThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=spa.url, timeout=60) as client:
        yield client


def _open(page: Page, spa: GatewayThread) -> Shown:
    """Opens the explorer on its first example; returns what it shows."""
    page.goto(spa.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("status")).to_have_count(0, timeout=30_000)
    shown = Shown(shown_probabilities(page), non_blank_canvases(page))
    assert shown.canvases["varied"] > 0, shown
    return shown


def _forget_bundles(stack: Stack) -> int:
    """Deletes this stack's cached bundles, so the next request needs the inference service."""
    client = redis.Redis.from_url(stack.redis.url)
    try:
        keys = list(client.scan_iter(f"{stack.prefix}:bundle:*"))
        return int(client.delete(*keys)) if keys else 0
    finally:
        client.close()


def _pick_example(page: Page, class_index: int) -> str:
    """Chooses a class and clicks its first thumbnail; returns the example's id."""
    page.get_by_test_id("class-select").select_option(index=class_index)
    thumbnail = page.locator("[data-example]").first
    example_id = thumbnail.get_attribute("data-example")
    assert example_id
    thumbnail.click()
    return example_id


def _assert_retrying_over_last_view(page: Page, before: Shown) -> None:
    """The retry message with its countdown is up, and the previous overview is still drawn."""
    status = page.get_by_test_id("status")
    expect(status).to_have_attribute("data-kind", "retrying", timeout=20_000)
    expect(status).to_contain_text("busy or restarting")
    expect(status).to_contain_text("You still see the last picture that loaded.")
    expect(page.get_by_test_id("retry-countdown")).to_have_text(
        # "in N s" while waiting, "now…" during an attempt.
        re.compile(r"^Trying again (in \d+ s\.|now…)$")
    )
    expect(page.get_by_test_id("overview")).to_be_visible()
    assert shown_probabilities(page) == before.probabilities
    assert non_blank_canvases(page) == before.canvases


def _wait_for_thumbnails(page: Page) -> None:
    """Every thumbnail of the chosen class shows its picture (one that failed asks again)."""
    page.wait_for_function(
        """() => {
          const images = [...document.querySelectorAll('[data-example] img')];
          const loaded = (image) => image.complete && image.naturalWidth > 0;
          return images.length > 0 && images.every(loaded);
        }""",
        timeout=RECOVERY_MS,
    )


def _example_bundle(http: httpx.Client, example_id: str) -> activations_pb2.ActivationBundle:
    return read_bundle(http.get(f"/api/examples/{example_id}/activations?model=tiny_vgg&version=1"))


def test_inference_restart_keeps_the_view_and_recovers_by_itself(
    stack: Stack, spa: GatewayThread, page: Page, http: httpx.Client
) -> None:
    before = _open(page, spa)
    assert _forget_bundles(stack) > 0
    stack.inference.stop(grace=0)
    try:
        example_id = _pick_example(page, class_index=3)
        _assert_retrying_over_last_view(page, before)
        # The countdown moves on its own (the banner ticks; nobody touches the page).
        countdown = page.get_by_test_id("retry-countdown")
        first = countdown.inner_text()
        page.wait_for_function(
            "t => document.querySelector('[data-testid=retry-countdown]')?.textContent !== t",
            arg=first,
            timeout=15_000,
        )
        shot(page, "outage-inference-down")
    finally:
        stack.restart_inference()
    expect(page.get_by_test_id("status")).to_have_count(0, timeout=RECOVERY_MS)
    wait_for_probabilities(page, _example_bundle(http, example_id))
    assert shown_probabilities(page) != before.probabilities
    assert example_id in page.url
    _wait_for_thumbnails(page)
    shot(page, "outage-inference-recovered")


def test_activation_service_restart_keeps_the_view_and_recovers_by_itself(
    stack: Stack, spa: GatewayThread, page: Page, http: httpx.Client
) -> None:
    before = _open(page, spa)
    some_example = http.get("/api/examples?model=tiny_vgg").json()["examples"][-1]["id"]
    port = stack.activations.port
    stack.loop.run(stack.activations.stop(grace=0))
    try:
        # The gateway's gRPC call fails UNAVAILABLE: a 503 with Retry-After, never a 500.
        down = http.get(f"/api/examples/{some_example}/activations?model=tiny_vgg&version=1")
        assert down.status_code == 503, down.text
        assert down.headers["retry-after"] == "1"
        example_id = _pick_example(page, class_index=5)
        _assert_retrying_over_last_view(page, before)
        shot(page, "outage-activations-down")
    finally:
        # The same port the gateways dial, and the same settings as the session's stack.
        stack.activations = stack.loop.run(
            build_activation_server(
                ActivationSettings(
                    activations_port=port,
                    inference_target=f"127.0.0.1:{stack.inference_port}",
                    redis_url=stack.redis.url,
                    cache_prefix=stack.prefix,
                    model_base_path=stack.base_path,
                    data_dir=stack.data_dir,
                )
            )
        )
    assert stack.activations.port == port
    expect(page.get_by_test_id("status")).to_have_count(0, timeout=RECOVERY_MS)
    wait_for_probabilities(page, _example_bundle(http, example_id))
    assert shown_probabilities(page) != before.probabilities
    shot(page, "outage-activations-recovered")
    wait_until(lambda: http.get("/health/ready").status_code == 200, "the stack is ready again")


def test_a_thumbnail_that_failed_loads_again_by_itself(spa: GatewayThread, page: Page) -> None:
    """A browser never reloads a broken <img>: the picker asks again, with the same backoff."""
    _open(page, spa)
    refused: list[str] = []

    def refuse(route: Route) -> None:
        refused.append(route.request.url)
        route.fulfill(status=503, headers={"Retry-After": "1"}, body="restarting")

    # Only the browser's thumbnail requests are refused (as a restarting service would).
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.route("**/api/examples/sprites/*", refuse)
    page.get_by_test_id("class-select").select_option(index=7)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-example] img')]"
        ".some((image) => image.complete && image.naturalWidth === 0)"
    )
    assert refused
    page.unroute("**/api/examples/sprites/*")
    _wait_for_thumbnails(page)
    assert any("/sprites/" in url and "retry=" in url for url in asked), asked[-3:]
    shot(page, "outage-thumbnails-recovered")


def test_gateway_restart_is_waited_out_and_recovers_by_itself(stack: Stack, page: Page) -> None:
    """The gateway itself away: no answer at all, so the page says it cannot reach the server."""
    gateway = spa_gateway(stack)
    try:
        before = _open(page, gateway)
        gateway.stop()
        example_id = _pick_example(page, class_index=8)
        status = page.get_by_test_id("status")
        expect(status).to_have_attribute("data-kind", "retrying", timeout=20_000)
        expect(status).to_contain_text("cannot be reached")
        expect(page.get_by_test_id("overview")).to_be_visible()
        assert shown_probabilities(page) == before.probabilities
        shot(page, "outage-gateway-down")
        gateway = spa_gateway(stack, port=gateway.port)
        expect(status).to_have_count(0, timeout=RECOVERY_MS)
        with httpx.Client(base_url=gateway.url, timeout=60) as http:
            wait_for_probabilities(page, _example_bundle(http, example_id))
        _wait_for_thumbnails(page)
        shot(page, "outage-gateway-recovered")
    finally:
        gateway.stop()

"""After the first overview, the idle browser fetches what opening a neuron needs.

Issue 15, "Speed": the intermediate view's code chunk and the model's weights used to be
fetched on the click, so opening a view waited for the network. Now they come while the
student looks at the overview, and the click sends no request for either.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Request, expect

from tests.serving.browser import open_explorer
from tests.serving.stack import GatewayThread

WEIGHTS = re.compile(r"/api/models/[^/]+/versions/\d+/weights")
VIEW_CHUNK = re.compile(r"/assets/SelectedNeuron-[^/]+\.js$")


def test_views_code_and_weights_arrive_before_the_click(
    spa: GatewayThread, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    requested: list[str] = []

    def note(request: Request) -> None:
        requested.append(request.url)

    page.on("request", note)
    open_explorer(page, spa.url + "/")
    # No click yet: the idle browser fetches the view's code and the weights.
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some((e) => /\\/weights/.test(e.name))",
        timeout=15_000,
    )
    page.wait_for_load_state("networkidle")
    assert any(VIEW_CHUNK.search(url) for url in requested), requested
    assert sum(bool(WEIGHTS.search(url)) for url in requested) == 1, requested

    before = len(requested)
    page.locator('[data-layer="conv_1_1"][data-neuron="0"]').click()
    expect(page.get_by_test_id("conv-view")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("weights-loading")).to_have_count(0)
    opened = requested[before:]
    assert not [url for url in opened if WEIGHTS.search(url) or url.endswith(".js")], opened
    assert page.evaluate("performance.getEntriesByName('cnn101:conv-view-drawn').length") == 1
    context.close()

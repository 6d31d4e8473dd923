"""The SPA in Chromium while a service is away: a message, never a blank page, and it
recovers by itself (no reload) once the service is back: the explorer without the
activation service, the study page without the study service.

A gateway of the test's own reaches the platform's service through a TCP proxy the test
controls; the proxy starts cut, so the page opens with the service away.
Screenshots go to /tmp/cnn101-reliability/.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.reliability.platform import ProcessPlatform, TcpProxy
from tests.reliability.test_access import login, open_study
from tests.reliability.test_spa_policy import SHOTS, SPA_DIR, pages
from tests.serving.stack import GatewayThread
from tests.serving.test_spa_e2e import CHROMIUM, CHROMIUM_ARGS

CONSENT_TEXT = "Consent text of the fault test."


@pytest.fixture(scope="module")
def cut_gateway(platform: ProcessPlatform) -> Iterator[tuple[GatewayThread, TcpProxy]]:
    pages()  # the build exists
    proxy = TcpProxy(("127.0.0.1", platform.ports["activations"]))  # not started: away
    env = platform.env
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=f"127.0.0.1:{proxy.port}",
                data_dir=platform.data_dir,
                spa_dir=SPA_DIR,
                evaluation_url=platform.evaluation_url,
                broker_url=env["CNN101_BROKER_URL"],
                result_backend=env["CNN101_RESULT_BACKEND"],
                retry_after_seconds=1,
            )
        )
    )
    gateway.start()
    yield gateway, proxy
    gateway.stop()
    proxy.cut()


def test_the_explorer_says_so_and_recovers_without_a_reload(
    cut_gateway: tuple[GatewayThread, TcpProxy],
) -> None:
    gateway, proxy = cut_gateway
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            loads: list[str] = []
            page.on("load", lambda _: loads.append("load"))
            page.goto(gateway.url + "/")
            # The explorer's banner: what happened, and that it tries again by itself.
            message = page.get_by_text("busy or restarting", exact=False).first
            expect(message).to_be_visible(timeout=20_000)
            expect(message).to_be_visible(timeout=20_000)
            page.screenshot(path=str(SHOTS / "explorer-service-away.png"))
            assert len(page.locator("body").inner_text().strip()) > 40
            proxy.start()
            expect(page.get_by_text("conv_1_1").first).to_be_visible(timeout=60_000)
            expect(message).to_be_hidden(timeout=10_000)
            page.screenshot(path=str(SHOTS / "explorer-service-back.png"))
            assert loads == ["load"]  # recovered in place, not by reloading
        finally:
            browser.close()


@pytest.fixture(scope="module")
def study_cut_gateway(platform: ProcessPlatform) -> Iterator[tuple[GatewayThread, TcpProxy]]:
    """A gateway whose way to the study service goes through a proxy that starts cut."""
    pages()
    proxy = TcpProxy(("127.0.0.1", platform.ports["evaluation"]))
    env = platform.env
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=env["CNN101_ACTIVATIONS_TARGET"],
                data_dir=platform.data_dir,
                spa_dir=SPA_DIR,
                evaluation_url=f"http://127.0.0.1:{proxy.port}",
                broker_url=env["CNN101_BROKER_URL"],
                result_backend=env["CNN101_RESULT_BACKEND"],
                retry_after_seconds=1,
            )
        )
    )
    gateway.start()
    yield gateway, proxy
    gateway.stop()
    proxy.cut()


def test_joining_the_study_says_so_and_goes_through_when_it_is_back(
    study_cut_gateway: tuple[GatewayThread, TcpProxy], platform: ProcessPlatform
) -> None:
    gateway, proxy = study_cut_gateway
    with httpx.Client(base_url=platform.evaluation_url, timeout=30) as admin:
        study = open_study(admin, login(admin, platform.database_url), consent_text=CONSENT_TEXT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            loads: list[str] = []
            page.on("load", lambda _: loads.append("load"))
            page.goto(f"{gateway.url}/study.html?code={study['join_code']}")
            page.get_by_role("button", name="Join").click()
            message = page.get_by_text("not reachable right now", exact=False).first
            expect(message).to_be_visible(timeout=20_000)
            page.screenshot(path=str(SHOTS / "study-service-away.png"))
            proxy.start()
            expect(page.get_by_text(CONSENT_TEXT)).to_be_visible(timeout=30_000)
            page.screenshot(path=str(SHOTS / "study-service-back.png"))
            assert loads == ["load"]
        finally:
            browser.close()

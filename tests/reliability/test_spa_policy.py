"""The SPA build obeys the gateway's Content-Security-Policy: no inline script, nothing from
another origin, and each page renders in Chromium with no CSP violation.

Uses the build in ``CNN101_TEST_SPA_DIR`` (default ``frontend/dist``); screenshots go to
/tmp/cnn101-reliability/.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Error, sync_playwright

from services.common.paths import PROJECT_ROOT
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.reliability.platform import ProcessPlatform
from tests.serving.stack import GatewayThread
from tests.serving.test_spa_e2e import CHROMIUM, CHROMIUM_ARGS

SPA_DIR = Path(os.environ.get("CNN101_TEST_SPA_DIR", PROJECT_ROOT / "frontend" / "dist"))
SHOTS = Path("/tmp/cnn101-reliability")


class PageAudit(HTMLParser):
    """Collects inline scripts, inline event handlers and references to other origins."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not values.get("src"):
                self.problems.append("a <script> without src (inline script)")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"inline event handler {name} on <{tag}>")
            if name in ("src", "href") and value and value.lstrip().startswith(("http", "//")):
                self.problems.append(f"<{tag} {name}={value}> loads from another origin")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script text")


def note_violation(found: list[str], message: ConsoleMessage) -> None:
    if "Content Security Policy" in message.text or "Refused to" in message.text:
        found.append(message.text)


def note_error(found: list[str], error: Error) -> None:
    found.append(str(error))


def pages() -> list[Path]:
    found = sorted(SPA_DIR.glob("*.html"))
    assert found, f"no SPA build in {SPA_DIR}: cd frontend && npx vite build"
    return found


def test_the_build_has_no_inline_script_and_no_other_origin() -> None:
    for page in pages():
        audit = PageAudit()
        audit.feed(page.read_text())
        assert audit.problems == [], page.name


@pytest.fixture(scope="module")
def spa_gateway(platform: ProcessPlatform) -> Iterator[GatewayThread]:
    """A gateway serving the SPA build, in front of the platform's services."""
    env = platform.env
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=env["CNN101_ACTIVATIONS_TARGET"],
                data_dir=platform.data_dir,
                spa_dir=SPA_DIR,
                evaluation_url=platform.evaluation_url,
                broker_url=env["CNN101_BROKER_URL"],
                result_backend=env["CNN101_RESULT_BACKEND"],
            )
        )
    )
    gateway.start()
    yield gateway
    gateway.stop()


def test_every_page_renders_under_the_policy(spa_gateway: GatewayThread) -> None:
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for page_file in pages():
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                violations: list[str] = []
                page.on("console", functools.partial(note_violation, violations))
                page.on("pageerror", functools.partial(note_error, violations))
                path = "/" if page_file.name == "index.html" else f"/{page_file.name}"
                response = page.goto(spa_gateway.url + path)
                assert response is not None and response.status == 200
                assert "script-src 'self'" in response.headers["content-security-policy"]
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(500)
                page.screenshot(path=str(SHOTS / f"{page_file.stem}.png"))
                text = page.locator("body").inner_text()
                assert len(text.strip()) > 20, (path, text)
                assert violations == [], (path, violations)
                page.close()
        finally:
            browser.close()

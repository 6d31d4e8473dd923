"""Benchmark the explorer SPA as a student's browser sees it, in headless Chromium.

Starts the platform as processes on free ports (a private Redis, the models under
``--base-path``, the SPA build in ``--spa-dir``), or measures a running one (``--url``),
then prints:

- first overview: from the navigation's start to the overview drawn (the app's
  ``cnn101:overview-drawn`` performance mark, set once every canvas is painted), in a
  fresh browser context (empty cache) per run: the first run, then the median;
- example switch: from clicking an example's thumbnail to the overview redrawn, median of
  ``--switches`` switches to examples new to the page (a bundle request each; the server's
  cache is warm once the worker has warmed the examples), clicked at once or after the
  pointer rested 150 ms on the thumbnail (as a mouse does: the app starts loading the
  bundle on hover), and to examples seen before in the page (no request);
- view open: from clicking a conv neuron to its intermediate view drawn (the
  ``cnn101:conv-view-drawn`` mark), clicked once the page is idle (the views' code and the
  weights prefetched) and clicked the moment the overview is drawn (before the prefetch);
- bytes of the first load without the example images (each example's PNG and the class
  sprites, the picker's thumbnails in one PNG): what went over the wire (encoded bodies,
  as the gateway sent them: gzip-compressed where it compresses) and decoded.

Targets (issue 4): first overview <= 1 s on localhost, switch <= 100 ms, first load
<= 500 KB gzipped. Figures, not assertions: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, sync_playwright

from services.runner import start_services, wait_ready
from services.supervisor import Supervisor

ROOT = Path(__file__).resolve().parents[1]
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
DRAWN = "performance.getEntriesByName('cnn101:overview-drawn')"
# Resolves with the time from the click to the next overview-drawn mark.
SWITCH_JS = f"""async (id) => {{
  const before = {DRAWN}.length;
  const start = performance.now();
  document.querySelector(`[data-example="${{id}}"]`).click();
  while ({DRAWN}.length === before) await new Promise((resolve) => setTimeout(resolve, 1));
  return {DRAWN}.at(-1).startTime - start;
}}"""
# Resolves with the time from a click on conv_1_1's first neuron to its view drawn.
VIEW_OPEN_JS = """async () => {
  const mark = () => performance.getEntriesByName('cnn101:conv-view-drawn');
  const before = mark().length;
  const start = performance.now();
  document.querySelector('[data-layer="conv_1_1"][data-neuron="0"]').click();
  while (mark().length === before) await new Promise((resolve) => setTimeout(resolve, 1));
  return mark().at(-1).startTime - start;
}"""
TRANSFERS_JS = """() => [...performance.getEntriesByType('navigation'),
                      ...performance.getEntriesByType('resource')]
  .filter((e) => !/\\/api\\/examples\\/[^/]+\\/image|\\/sprites\\//.test(e.name))
  .map((e) => ({ name: e.name, wire: e.transferSize, encoded: e.encodedBodySize,
                 decoded: e.decodedBodySize, start: e.startTime }))"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _context(browser: Browser, accept_encoding: str) -> BrowserContext:
    return browser.new_context(
        viewport={"width": 1440, "height": 900},
        extra_http_headers={"Accept-Encoding": accept_encoding},
    )


def _first_load(
    browser: Browser, url: str, accept_encoding: str
) -> tuple[float, list[dict[str, Any]]]:
    """One load in a fresh context: ms to the first overview drawn, and the transfers."""
    context = _context(browser, accept_encoding)
    try:
        page = context.new_page()
        page.goto(url + "/", wait_until="commit")
        page.wait_for_function(f"() => {DRAWN}.length > 0", timeout=120_000)
        drawn_ms = float(page.evaluate(f"() => {DRAWN}[0].startTime"))
        page.wait_for_load_state("networkidle")
        transfers: list[dict[str, Any]] = page.evaluate(TRANSFERS_JS)
        return drawn_ms, transfers
    finally:
        context.close()


def _switches(
    browser: Browser, url: str, count: int, accept_encoding: str, hover_ms: int
) -> tuple[list[float], list[float]]:
    """Click ``count`` examples new to the page, then the same ones again.

    With ``hover_ms`` the pointer rests on the thumbnail that long before the click, as a
    mouse does; the clock starts at the click either way.
    """
    context = _context(browser, accept_encoding)
    try:
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_function(f"() => {DRAWN}.length > 0", timeout=120_000)
        picker = page.get_by_test_id("class-select")
        chosen: list[tuple[int, str]] = []  # (class option, example id), across the classes
        for label in range(picker.locator("option").count()):
            picker.select_option(index=label)
            ids = page.locator("[data-example]").evaluate_all(
                "els => els.map(e => e.dataset.example)"
            )
            chosen += [(label, example) for example in ids[1:3]]  # the first may be shown
        chosen = chosen[:count]

        def switch(label: int, example: str) -> float:
            picker.select_option(index=label)
            if hover_ms:
                page.locator(f'[data-example="{example}"]').hover()
                page.wait_for_timeout(hover_ms)
            return float(page.evaluate(SWITCH_JS, example))

        new = [switch(label, example) for label, example in chosen]
        again = [switch(label, example) for label, example in chosen]
        return new, again
    finally:
        context.close()


def _view_opens(
    browser: Browser, url: str, runs: int, accept_encoding: str
) -> dict[str, list[float]]:
    """ms from the click to the conv view drawn, in fresh contexts: after the page went
    idle (prefetched), and at once when the overview is drawn."""
    times: dict[str, list[float]] = {"after idle": [], "at once": []}
    for _ in range(runs):
        for when, times_of in times.items():
            context = _context(browser, accept_encoding)
            try:
                page = context.new_page()
                page.goto(url + "/")
                page.wait_for_function(f"() => {DRAWN}.length > 0", timeout=120_000)
                if when == "after idle":
                    page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(500)
                times_of.append(float(page.evaluate(VIEW_OPEN_JS)))
            finally:
                context.close()
    return times


def _kb(n: float) -> str:
    return f"{n / 1024:,.1f} KB"


def measure(url: str, runs: int, switches: int, accept_encoding: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            loads = [_first_load(browser, url, accept_encoding) for _ in range(runs)]
            clicked, again = _switches(browser, url, switches, accept_encoding, hover_ms=0)
            hovered, _ = _switches(browser, url, switches, accept_encoding, hover_ms=150)
            opens = _view_opens(browser, url, runs, accept_encoding)
        finally:
            browser.close()
    firsts = [ms for ms, _ in loads]
    transfers = loads[-1][1]
    print(
        f"first overview drawn: first run {firsts[0]:.0f} ms, "
        f"median of {runs} cold-browser runs {statistics.median(firsts):.0f} ms "
        f"(target <= 1000 ms; all: {', '.join(f'{ms:.0f}' for ms in firsts)})"
    )
    print(
        f"example switch, new to the page, clicked at once: median "
        f"{statistics.median(clicked):.0f} ms, max {max(clicked):.0f} ms over {len(clicked)} "
        f"(target <= 100 ms)"
    )
    print(
        f"example switch, new to the page, 150 ms hover first: median "
        f"{statistics.median(hovered):.0f} ms, max {max(hovered):.0f} ms over {len(hovered)}"
    )
    print(
        f"example switch, seen before in the page: median {statistics.median(again):.0f} ms, "
        f"max {max(again):.0f} ms over {len(again)}"
    )
    for when, times in opens.items():
        print(
            f"conv view open, clicked {when}: median {statistics.median(times):.0f} ms, "
            f"max {max(times):.0f} ms over {len(times)} cold-browser runs"
        )
    drawn = loads[-1][0]
    before = [t for t in transfers if float(t["start"]) <= drawn]
    wire = sum(t["wire"] for t in before)
    encoded = sum(t["encoded"] for t in before)
    decoded = sum(t["decoded"] for t in before)
    print(
        f"first load without example images, up to the first overview: {_kb(encoded)} of "
        f"bodies on the wire ({_kb(wire)} with headers; {_kb(decoded)} decoded) in "
        f"{len(before)} responses (Accept-Encoding: {accept_encoding}; target <= 500 KB gzipped)"
    )
    after = [t for t in transfers if float(t["start"]) > drawn]
    print(
        f"then, prefetched while idle (the views' code, the weights): "
        f"{_kb(sum(t['encoded'] for t in after))} in {len(after)} responses"
    )
    for transfer in sorted(transfers, key=lambda t: -int(t["encoded"])):
        name = str(transfer["name"]).replace(url, "")
        print(f"  {_kb(transfer['encoded']):>11} {_kb(transfer['decoded']):>11}  {name[:90]}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="measure this running gateway instead of starting one")
    parser.add_argument("--base-path", type=Path, default=ROOT / "models")
    parser.add_argument("--spa-dir", type=Path, default=ROOT / "frontend" / "dist")
    parser.add_argument("--runs", type=int, default=5, help="cold-browser first loads")
    parser.add_argument("--switches", type=int, default=10, help="example switches")
    parser.add_argument(
        "--accept-encoding",
        default="gzip, deflate",
        help="what the browser accepts; Chromium offers br only over HTTPS and on localhost, "
        "so a classroom on plain HTTP gets gzip (the default here)",
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).is_file():
        print(f"{CHROMIUM} is needed (apt-get install chromium)", file=sys.stderr)
        return 2
    if args.url:
        measure(args.url.rstrip("/"), args.runs, args.switches, args.accept_encoding)
        return 0
    if not (args.spa_dir / "index.html").is_file():
        print(f"{args.spa_dir}/index.html is missing: build the SPA first", file=sys.stderr)
        return 2
    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        print("redis-server is needed (apt-get install redis-server)", file=sys.stderr)
        return 2
    with spa_platform(redis_binary, args.base_path, args.spa_dir) as (url, _):
        measure(url, args.runs, args.switches, args.accept_encoding)
    return 0


@contextmanager
def spa_platform(redis_binary: str, base_path: Path, spa_dir: Path) -> Iterator[tuple[str, Path]]:
    """The whole platform as processes on free ports: its URL and its log directory.

    The study service runs on SQLite in the log directory with a development instructor,
    whose login is written to ``<log dir>/instructor-login`` (email, password).
    """
    log_dir = Path(tempfile.mkdtemp(prefix="cnn101-bench-spa-"))
    supervisor = Supervisor(log_dir)
    redis_port = _free_port()
    gateway_port = _free_port()
    os.environ.update(
        {
            "CNN101_MODEL_BASE_PATH": str(base_path.resolve()),
            "CNN101_SPA_DIR": str(spa_dir.resolve()),
            "CNN101_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CNN101_INFERENCE_PORT": str(_free_port()),
            "CNN101_ACTIVATIONS_PORT": str(_free_port()),
            "CNN101_GATEWAY_PORT": str(gateway_port),
            "CNN101_EVALUATION_PORT": str(_free_port()),
            "CNN101_STUDIO_PORT": str(_free_port()),
            # One address plays a whole class: the per-client limits would count it as one.
            "CNN101_RATE_LIMIT_SCALE": "0",
            "CNN101_EVALUATION_DATABASE_URL": f"sqlite:///{log_dir / 'study.db'}",
            "CNN101_EVALUATION_BOOTSTRAP_LOGIN_FILE": str(log_dir / "instructor-login"),
            "CNN101_CACHE_PREFIX": "bench-spa",
        }
    )
    try:
        supervisor.start(
            "redis",
            [redis_binary, "--port", str(redis_port), "--save", "", "--appendonly", "no"],
            dict(os.environ),
        )
        time.sleep(0.5)
        start_services(supervisor, log_dir)
        url = f"http://127.0.0.1:{gateway_port}"
        wait_ready(supervisor, f"{url}/health/ready")
        print(f"platform on {url}; SPA from {spa_dir}; logs in {log_dir}")
        yield url, log_dir
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())

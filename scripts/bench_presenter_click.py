"""Benchmark presenter mode end to end: the teacher's click to the class's screens.

Starts the whole platform as processes (as scripts/bench_spa.py does, SQLite study with a
development instructor), or targets a running one (``--url`` with ``--email`` and
``--password``). In one headless Chromium (one clock for every page): a presenter page, one
following page, and ``--followers`` - 1 more followers as streaming HTTP clients (so the
gateway fans out to a class). The presenter clicks ``--clicks`` examples one at a time
(``--interval`` s apart); for each click it prints nothing, and at the end the medians and
maxima of:

- click → the presenter's PUT leaves the page (the send, timed by a wrapped ``fetch``);
- click → the follower's URL has changed (the state received and applied);
- click → the follower's overview is drawn for the new picture (``cnn101:overview-drawn``).

Figures, not assertions: the browser, the clients and the platform share the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_spa import CHROMIUM, CHROMIUM_ARGS, DRAWN, ROOT, spa_platform

# Every history change of the page, with the wall-clock time it happened.
RECORD_URL_CHANGES = """
window.__urlChanges = [];
for (const name of ["pushState", "replaceState"]) {
  const original = history[name].bind(history);
  history[name] = (...args) => {
    original(...args);
    window.__urlChanges.push({ at: Date.now(), search: location.search });
  };
}
"""
# Every PUT of a presentation state, with the wall-clock time it was sent.
RECORD_STATE_PUTS = """
window.__statePuts = [];
const originalFetch = window.fetch.bind(window);
window.fetch = (input, init) => {
  const target = typeof input === "string" ? input : input.url;
  if ((init?.method ?? "GET") === "PUT" && target.includes("/state")) {
    window.__statePuts.push(Date.now());
  }
  return originalFetch(input, init);
};
"""
# Clicks an example's thumbnail; answers the wall-clock time of the click.
CLICK_JS = """(id) => {
  const at = Date.now();
  document.querySelector(`[data-example="${id}"]`).click();
  return at;
}"""


def _start_presenting(page: Page, url: str, email: str, password: str) -> str:
    page.goto(url + "/")
    started: dict[str, str] = page.evaluate(
        """async ([email, password]) => {
          const json = { "content-type": "application/json" };
          const login = await fetch("/api/instructor/login", {
            method: "POST", headers: json, body: JSON.stringify({ email, password }) });
          if (!login.ok) throw new Error(`login: ${login.status}`);
          const made = await fetch("/api/presentations", { method: "POST" });
          if (!made.ok) throw new Error(`present: ${made.status}`);
          const body = await made.json();
          localStorage.setItem(`cnn101:presenter:${body.code}`, body.presenter_token);
          return body;
        }""",
        [email, password],
    )
    code = started["code"]
    page.goto(f"{url}/?present={code}")
    page.wait_for_function(f"() => {DRAWN}.length > 0", timeout=120_000)
    return code


def _stream_followers(url: str, code: str, count: int, stop: threading.Event) -> threading.Thread:
    """``count`` streaming clients reading the presentation's events until ``stop``."""

    async def follow(client: httpx.AsyncClient) -> None:
        async with client.stream("GET", f"{url}/api/presentations/{code}/events") as response:
            async for _ in response.aiter_lines():
                if stop.is_set():
                    return

    async def main() -> None:
        async with httpx.AsyncClient(timeout=None) as client:
            tasks = [asyncio.create_task(follow(client)) for _ in range(count)]
            while not stop.is_set():
                await asyncio.sleep(0.1)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    return thread


def _wait_for(page: Page, script: str, argument: Any) -> float:
    page.wait_for_function(script, arg=argument, timeout=30_000)
    return float(page.evaluate(script, argument))


def measure(
    url: str, email: str, password: str, *, followers: int, clicks: int, interval: float
) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        contexts: list[BrowserContext] = []
        stop = threading.Event()
        try:
            presenter_context = browser.new_context(viewport={"width": 1400, "height": 900})
            follower_context = browser.new_context(viewport={"width": 1400, "height": 900})
            contexts += [presenter_context, follower_context]
            presenter_context.add_init_script(RECORD_STATE_PUTS)
            follower_context.add_init_script(RECORD_URL_CHANGES)
            presenter = presenter_context.new_page()
            code = _start_presenting(presenter, url, email, password)
            follower = follower_context.new_page()
            follower.goto(f"{url}/?follow={code}")
            follower.wait_for_function(f"() => {DRAWN}.length > 0", timeout=120_000)
            _stream_followers(url, code, followers - 1, stop)
            ids: list[str] = presenter.locator("[data-example]").evaluate_all(
                "els => els.map(e => e.dataset.example)"
            )
            sends, applied, drawn = [], [], []
            for index in range(clicks):
                shown_now = presenter.evaluate(
                    "() => new URLSearchParams(location.search).get('example')"
                )
                example = ids[index % len(ids)]
                if example == shown_now:
                    example = ids[(index + 1) % len(ids)]
                puts_before = int(presenter.evaluate("() => window.__statePuts.length"))
                drawn_before = int(follower.evaluate(f"() => {DRAWN}.length"))
                clicked = float(presenter.evaluate(CLICK_JS, example))
                sent = _wait_for(
                    presenter,
                    "(n) => window.__statePuts.length > n && window.__statePuts[n]",
                    puts_before,
                )
                changed = _wait_for(
                    follower,
                    """(id) => {
                      const hit = window.__urlChanges.find((c) =>
                        new URLSearchParams(c.search).get("example") === id);
                      return hit ? hit.at : 0;
                    }""",
                    example,
                )
                shown = _wait_for(
                    follower,
                    f"""(n) => {{
                      const marks = {DRAWN};
                      return marks.length > n && performance.timeOrigin + marks.at(-1).startTime;
                    }}""",
                    drawn_before,
                )
                sends.append(sent - clicked)
                applied.append(changed - clicked)
                drawn.append(shown - clicked)
                presenter.wait_for_timeout(interval * 1000)
        finally:
            stop.set()
            for context in contexts:
                context.close()
            browser.close()

    def line(name: str, values: list[float]) -> None:
        print(
            f"{name}: median {statistics.median(values):.0f} ms, "
            f"max {max(values):.0f} ms over {len(values)} clicks"
        )

    print(f"{followers} followers ({followers - 1} streaming clients and one browser page)")
    line("click -> presenter's PUT sent", sends)
    line("click -> follower's URL changed", applied)
    line("click -> follower's overview drawn", drawn)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=30)
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between clicks")
    parser.add_argument("--url", help="a running platform instead of starting one")
    parser.add_argument("--email", help="an instructor's email (with --url)")
    parser.add_argument("--password", help="that instructor's password (with --url)")
    parser.add_argument("--base-path", type=Path, default=ROOT / "models")
    parser.add_argument("--spa-dir", type=Path, default=ROOT / "frontend" / "dist")
    args = parser.parse_args()
    if not Path(CHROMIUM).is_file():
        print(f"{CHROMIUM} is needed (apt-get install chromium)", file=sys.stderr)
        return 2
    if args.url:
        if not (args.email and args.password):
            print("--url needs --email and --password", file=sys.stderr)
            return 2
        measure(
            args.url.rstrip("/"),
            args.email,
            args.password,
            followers=args.followers,
            clicks=args.clicks,
            interval=args.interval,
        )
        return 0
    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        print("redis-server is needed (apt-get install redis-server)", file=sys.stderr)
        return 2
    with spa_platform(redis_binary, args.base_path, args.spa_dir) as (url, log_dir):
        email, password = (log_dir / "instructor-login").read_text().split("\n")[:2]
        measure(
            url,
            email,
            password,
            followers=args.followers,
            clicks=args.clicks,
            interval=args.interval,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

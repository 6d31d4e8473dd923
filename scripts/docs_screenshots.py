"""The explorer's views as a student sees them, for docs/frontend.md: one picture per view
and window size, taken from links (every view is URL state, src/url/state.ts).

Starts ``cnn101 run`` in a temporary folder (scripts/running_platform.py) serving the SPA
build in ``--spa-dir`` (default frontend/dist), opens each view in Debian's Chromium at
1400x900 and 1024x768, waits until it has drawn and saves the window as seen (not the
whole page: what is off screen is what the student does not see) as WebP in ``--out``,
named ``<view>-<width>-<label>.webp``. Building an older commit into another folder and
running this with ``--label before`` gives the before pictures.

    .venv/bin/python scripts/docs_screenshots.py --label after
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from running_platform import running_platform

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SIZES = ((1400, 900), (1024, 768))
#: Each view's link (the default example; a conv neuron of the second block, a pixel in it).
VIEWS = {
    "overview": "",
    "conv": "neuron=conv_2_1:3",
    "conv-detail": "neuron=conv_2_1:3&detail=5,7",
    "relu-detail": "neuron=relu_1_1:4&detail=20,30",
    "pool-detail": "neuron=max_pool_1:4&detail=10,12",
    "flatten": "neuron=softmax:3",
    "softmax-detail": "neuron=softmax:3&detail=softmax",
}


def _settle(page: Page) -> None:
    """Until the overview is up, no status message shows and the views' animations ended."""
    page.wait_for_selector("[data-testid=overview]", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=status]')", timeout=60_000)
    time.sleep(1.5)  # the opening transitions (at most about a second)
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')", timeout=10_000
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spa-dir", type=Path, default=ROOT / "frontend" / "dist")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--label", default="after", help="the file names' last part")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        running_platform({"CNN101_SPA_DIR": str(args.spa_dir.resolve())}) as platform,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        for width, height in SIZES:
            context = browser.new_context(
                viewport={"width": width, "height": height}, reduced_motion="reduce"
            )
            page = context.new_page()
            for view, query in VIEWS.items():
                page.goto(f"{platform.base}/?{query}")
                _settle(page)
                picture = Image.open(io.BytesIO(page.screenshot()))
                target = args.out / f"{view}-{width}-{args.label}.webp"
                picture.convert("RGB").save(target, "WEBP", quality=70, method=6)
                print(f"{target} ({target.stat().st_size // 1024} KB)")
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

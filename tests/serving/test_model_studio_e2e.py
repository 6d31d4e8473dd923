"""The model studio in headless Chromium, through the real platform and its model worker.

The whole platform runs as processes (tests/reliability/platform.py) plus the model
studio's worker on the ``models`` queue (``model_worker_command``), the gateway serving
the SPA build (CNN101_TEST_SPA_DIR). The instructor logs in to the dashboard, uploads a
zip the test draws (3 classes x 20 pictures of shapes), trains a small variant for two
epochs on it and watches the job in the page until its second epoch and the new model in
the list; publishes it; a student then picks it in the explorer, whose overview is laid
out from its graph with its class names. Screenshots go to /tmp/cnn101-spa/studio-*.png.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from services.worker.app import model_worker_command
from tests.evaluation.conftest import PASSWORD
from tests.reliability.conftest import COMMITTED_MODEL
from tests.reliability.platform import ProcessPlatform
from tests.reliability.study import add_instructor
from tests.serving.browser import Contexts, shot
from tests.serving.test_spa_e2e import SPA_DIR, _spa_built

CLASSES = ("circle", "square", "triangle")
PER_CLASS = 20
MAP_TYPES = {"conv", "relu", "max_pool"}


class StudioPlatform(ProcessPlatform):
    """The process platform with the model worker, its gateway serving the SPA under test."""

    def commands(self) -> dict[str, list[str]]:
        return super().commands() | {"model-worker": model_worker_command(sys.executable)}

    def start(self, name: str) -> None:
        self.env["CNN101_SPA_DIR"] = str(SPA_DIR)
        super().start(name)

    def boot(self) -> None:
        super().boot()
        if "model-worker" not in self.processes:
            self.start("model-worker")


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path
) -> Iterator[StudioPlatform]:
    _spa_built()
    running = StudioPlatform(
        root=tmp_path_factory.mktemp("studio"), data_dir=real_data_dir, model_source=COMMITTED_MODEL
    )
    try:
        running.boot()
    except BaseException:
        logs = running.log_text()[-4000:]
        running.stop()
        raise AssertionError(f"the platform did not start:\n{logs}") from None
    try:
        yield running
    finally:
        running.stop()


def _shapes_zip(path: Path) -> Path:
    """Three classes of 32x32 pictures: a shape of random size, place and colours each."""
    rng = np.random.default_rng(8)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for shape in CLASSES:
            for index in range(PER_CLASS):
                background = tuple(int(v) for v in rng.integers(0, 90, 3))
                colour = tuple(int(v) for v in rng.integers(150, 256, 3))
                image = Image.new("RGB", (32, 32), background)
                draw = ImageDraw.Draw(image)
                size = int(rng.integers(10, 20))
                x, y = (int(v) for v in rng.integers(2, 30 - size, 2))
                if shape == "circle":
                    draw.ellipse((x, y, x + size, y + size), fill=colour)
                elif shape == "square":
                    draw.rectangle((x, y, x + size, y + size), fill=colour)
                else:
                    corners = [(x, y + size), (x + size, y + size), (x + size // 2, y)]
                    draw.polygon(corners, fill=colour)
                png = io.BytesIO()
                image.save(png, format="PNG")
                archive.writestr(f"shapes/{shape}/{index:02d}.png", png.getvalue())
    path.write_bytes(buffer.getvalue())
    return path


def _dashboard(people: Contexts, platform: StudioPlatform) -> Page:
    """The instructor's dashboard, logged in, on the Models tab."""
    email = add_instructor(platform.database_url)
    page = people.page(1440, 900)
    page.goto(f"{platform.gateway_url}/instructor.html")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Models", exact=True).click()
    expect(page.locator('[data-testid="model-entry"][data-model="tiny_vgg"]')).to_be_visible()
    return page


def _refuses_what_the_server_would(page: Page) -> None:
    page.get_by_label("Name").fill("Shapes!")
    page.get_by_label("Conv blocks").fill("4")
    page.get_by_label("Convolutions per block").fill("3")
    page.get_by_label("Input size (pixels)").fill("32")
    page.get_by_label("Kernel size").select_option("5")
    expect(page.get_by_test_id("preview-problem")).to_contain_text("does not fit")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text("The name must be")).to_be_visible()
    expect(page.get_by_test_id("job")).to_have_count(0)


def _one_class_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(PER_CLASS):
            png = io.BytesIO()
            Image.new("RGB", (32, 32), (index * 10, 0, 0)).save(png, format="PNG")
            archive.writestr(f"lonely/{index:02d}.png", png.getvalue())
    return path


def _upload(page: Page, zip_path: Path, bad_zip: Path) -> None:
    page.get_by_label("My own images").check()
    # The studio checks the zip in the background and says why it cannot be used, beside
    # the field; nothing is offered to train on.
    page.get_by_label("Upload a zip").set_input_files(str(bad_zip))
    refusal = page.get_by_text(f"{bad_zip.name} cannot be used:")
    expect(refusal).to_be_visible(timeout=30_000)
    expect(refusal).to_contain_text("1 class folder")
    expect(page.get_by_test_id("dataset-summary")).to_have_count(0)
    page.get_by_label("Upload a zip").set_input_files(str(zip_path))
    summary = page.get_by_test_id("dataset-summary")
    expect(summary).to_contain_text(f"3 classes, {3 * PER_CLASS} images", timeout=30_000)
    for shape in CLASSES:
        expect(summary.get_by_role("row", name=f"{shape} {PER_CLASS}")).to_be_visible()


def _fill_small_variant(page: Page) -> None:
    """2 blocks of one 3x3 conv with 4 filters on 32x32, two epochs."""
    page.get_by_label("Name").fill("shapes")
    page.get_by_label("Title (optional)").first.fill("Shapes, 2 blocks")
    page.get_by_label("Conv blocks").fill("2")
    page.get_by_label("Convolutions per block").fill("1")
    page.get_by_label("Filters per layer").fill("4")
    page.get_by_label("Kernel size").select_option("3")
    page.get_by_label("Epochs").fill("2")
    preview = page.get_by_test_id("layer-preview")
    expect(preview.locator('[data-layer="max_pool_2"]')).to_contain_text("6 \u00d7 6 \u00d7 4")
    expect(preview.locator('[data-layer="output"]')).to_contain_text("3")


# Every progress line the page shows, in order, to see the epochs go by.
RECORD_PROGRESS = """() => {
  window.__progress = [];
  new MutationObserver(() => {
    const line = document.querySelector('[data-testid="job-progress"]')?.textContent?.trim();
    if (line && window.__progress.at(-1) !== line) window.__progress.push(line);
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def _train_and_watch(page: Page) -> list[str]:
    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="Start training").click()
    job = page.get_by_test_id("job").first
    expect(job).to_have_attribute("data-status", re.compile("queued|running|succeeded"))
    expect(job).to_have_attribute("data-status", "succeeded", timeout=300_000)
    seen: list[str] = page.evaluate("window.__progress")
    epochs = [int(m[1]) for line in seen if (m := re.search(r"Epoch (\d) of 2", line))]
    assert epochs == sorted(epochs), seen
    # The finished job keeps both epochs in its curves (training and validation).
    expect(job.get_by_test_id("curve-accuracy")).to_have_attribute(
        "aria-label", re.compile(r"at epoch 2$")
    )
    expect(job.get_by_test_id("curve-loss").locator("circle")).to_have_count(4)
    expect(job.get_by_test_id("job-progress")).to_contain_text("Done: shapes version 1")
    return seen


def _publish(page: Page) -> None:
    entry = page.locator('[data-testid="model-entry"][data-model="shapes"]')
    expect(entry).to_be_visible(timeout=10_000)
    expect(entry).to_contain_text("Shapes, 2 blocks")
    expect(entry).to_contain_text("circle, square, triangle")
    expect(entry).to_contain_text("trained here")
    entry.locator("summary", has_text="Model card").click()
    expect(entry.get_by_test_id("model-card")).to_contain_text("Model card: Shapes, 2 blocks")
    published = entry.get_by_label("Published to students")
    expect(published).not_to_be_checked()
    published.check()
    expect(published).to_be_checked()


def _explore(student: Page, platform: StudioPlatform, http: httpx.Client) -> None:
    """A student picks the model: the overview follows its graph and classes."""
    student.goto(f"{platform.gateway_url}/")
    expect(student.get_by_test_id("overview")).to_be_visible(timeout=60_000)
    choice = student.get_by_test_id("model-select")
    assert choice.locator("option").all_inner_texts()[1] == "Shapes, 2 blocks"
    choice.select_option("shapes")
    expect(student).to_have_url(re.compile(r"model=shapes&version=1"))
    expect(student.locator("[data-class]")).to_have_count(3, timeout=60_000)
    shown = student.locator("[data-class]").evaluate_all("els => els.map(e => e.dataset.class)")
    assert shown == list(CLASSES)
    layers = http.get("/api/models/shapes").json()["description"]["layers"]
    columns = student.locator(".column-title").evaluate_all("els => els.map(e => e.dataset.column)")
    assert columns == [
        "input",
        *(layer["name"] for layer in layers if layer["type"] in MAP_TYPES),
        "softmax",
    ]
    assert columns[1:-1] == [
        "conv_1_1",
        "relu_1_1",
        "max_pool_1",
        "conv_2_1",
        "relu_2_1",
        "max_pool_2",
    ]
    expect(student.locator('[data-layer="conv_1_1"]')).to_have_count(4)
    size = student.locator('[data-layer="conv_1_1"] canvas.heatmap').first.evaluate(
        "c => [c.width, c.height]"
    )
    assert size == [30, 30]
    # The intermediate views follow it too: 4 input maps into conv_2_1, 6 x 6 x 4 flattened.
    student.locator('[data-layer="conv_2_1"][data-neuron="0"]').click()
    view = student.get_by_test_id("conv-view")
    expect(view.locator(".conv-row")).to_have_count(4, timeout=30_000)
    expect(view).to_contain_text("3\u00d73 slice")
    student.get_by_test_id("close-conv").click()
    student.locator("[data-class]").nth(1).click()
    flatten = student.get_by_test_id("flatten-view")
    expect(flatten.locator(".flatten-line")).to_have_count(6 * 6 * 4, timeout=30_000)


def _cancel_a_long_training(page: Page) -> None:
    """Sixty epochs, cancelled once the first is done: cancelled, and no model appears."""
    page.get_by_label("Name").fill("shapes_long")
    page.get_by_label("Epochs").fill("60")
    page.get_by_role("button", name="Start training").click()
    job = page.locator('[data-testid="job"]', has_text="shapes_long")
    expect(job.get_by_test_id("job-progress")).to_contain_text(
        re.compile(r"Epoch [1-9]\d* of 60"), timeout=120_000
    )
    job.get_by_role("button", name="Cancel training").click()
    expect(job).to_have_attribute("data-status", "cancelled", timeout=60_000)
    expect(job.get_by_test_id("job-progress")).to_contain_text("no version was made")
    expect(job.get_by_role("button", name="Cancel training")).to_have_count(0)
    expect(page.locator('[data-testid="model-entry"][data-model="shapes_long"]')).to_have_count(0)


def test_train_publish_and_explore_a_variant(
    platform: StudioPlatform, people: Contexts, tmp_path: Path
) -> None:
    http = httpx.Client(base_url=platform.gateway_url, timeout=30)
    # Before: students are offered the default model only.
    assert [m["name"] for m in http.get("/api/studio/published").json()["models"]] == ["tiny_vgg"]
    page = _dashboard(people, platform)
    _refuses_what_the_server_would(page)
    _upload(page, _shapes_zip(tmp_path / "shapes.zip"), _one_class_zip(tmp_path / "one.zip"))
    _fill_small_variant(page)
    shot(page, "studio-1-form")
    _train_and_watch(page)
    _publish(page)
    shot(page, "studio-2-trained")
    listed = http.get("/api/studio/published").json()["models"]
    assert [m["name"] for m in listed] == ["tiny_vgg", "shapes"]
    student = people.page(1440, 900)
    _explore(student, platform, http)
    shot(student, "studio-3-explorer")
    _cancel_a_long_training(page)
    shot(page, "studio-4-cancelled")

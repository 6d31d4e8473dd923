# ruff: noqa: RUF001  (the explorer writes the true multiplication sign)
"""The explorer shows the facts the conventional tutorial prints (issue 18, part 5).

Parameter counts per layer (and how each is made) and receptive fields, read from the
served page and checked against numbers computed here from the committed model's
description. frontend/src/study/tutorial/sameFacts.test.ts checks that the tutorial's
tables give the same numbers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.serving.browser import shot
from tests.serving.stack import GatewayThread

MODEL = Path(__file__).resolve().parents[2] / "models/tiny_vgg/1/assets.extra/model.json"


def _expected_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for tensor in json.loads(MODEL.read_text())["weights"]["tensors"]:
        counts[tensor["layer"]] = counts.get(tensor["layer"], 0) + math.prod(tensor["shape"])
    return counts


def test_explorer_shows_parameter_counts_and_receptive_fields(
    spa: GatewayThread, page: Page
) -> None:
    counts = _expected_counts()
    assert counts == {
        "conv_1_1": 280,
        "conv_1_2": 910,
        "conv_2_1": 910,
        "conv_2_2": 910,
        "output": 16910,
    }
    page.goto(spa.url + "/")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    facts = page.get_by_test_id("parameter-counts")
    expect(facts).to_be_visible()
    for layer, count in counts.items():
        line = facts.locator(f'[data-parameters-of="{layer}"]')
        expect(line).to_contain_text(f"{layer} {count:,} = ")
    expect(facts).to_contain_text("conv_1_1 280 = 10 filters × 3×3×3 weights + 10 biases")
    expect(facts).to_contain_text("output 16,910 = 1,690 inputs × 10 outputs + 10 biases")
    expect(facts).to_contain_text(f"total {sum(counts.values()):,}")
    fields = page.get_by_test_id("receptive-fields")
    expect(fields).to_contain_text(
        "conv_1_1 3×3, conv_1_2 5×5, max_pool_1 6×6, conv_2_1 10×10, conv_2_2 14×14, "
        "max_pool_2 16×16"
    )
    # Hovering a neuron names its layer's count and receptive field.
    page.locator('[data-layer="conv_1_2"][data-neuron="0"]').hover()
    info = page.get_by_test_id("neuron-info")
    expect(info).to_contain_text("conv_1_2 learns 910 parameters")
    expect(info).to_contain_text("Each value sees a 5×5 patch of the picture")
    page.locator("[data-class]").nth(0).hover()
    expect(page.get_by_test_id("neuron-info")).to_contain_text("output learns 16,910 parameters")
    shot(page, "layer-facts")

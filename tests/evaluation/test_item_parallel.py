# ruff: noqa: RUF001  (the items use the true multiplication and minus signs)
"""Issue 18, part 5: the forms are parallel by construction, item by item.

Each A/B pair asks the same concept with the same structure (the stems agree once their
numbers are masked, up to a named surface word), is self-contained (no item's stem uses
another item's answer) and draws every wrong option from a stated misconception.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from evaluation.items.bank import DEFAULT_ITEMS
from tests.evaluation.test_item_bank import (
    block_shape,
    conv_out,
    conv_params,
    fmt_number,
    receptive_field,
    small_network_params,
    square,
)

BY_KEY = {item.key: item for item in DEFAULT_ITEMS}
FORMS = {form: [item for item in DEFAULT_ITEMS if item.form == form] for form in "AB"}
NUMBER = re.compile(r"−?\d[\d,.]*")
# The only words a pair may change besides numbers (the orientation of an edge).
SURFACE = {14: set(), 16: {("vertical", "horizontal")}}


def masked(text: str) -> str:
    return NUMBER.sub("#", text)


def test_forms_are_parallel() -> None:
    assert len(FORMS["A"]) == len(FORMS["B"]) == 16
    for a, b in zip(FORMS["A"], FORMS["B"], strict=True):
        assert a.position == b.position and a.concept == b.concept
        assert len(a.options) == len(b.options) == 4
        stem_a = masked(a.stem)
        for word_a, word_b in SURFACE.get(a.position, set()):
            stem_a = stem_a.replace(word_a, word_b)
        assert stem_a == masked(b.stem), (a.key, b.key)
    assert [item.position for item in FORMS["A"]] == list(range(1, 17))
    # The key is not always in the same place, on either form.
    for items in FORMS.values():
        assert {item.correct_index for item in items} == {0, 1, 2, 3}


def test_items_are_self_contained() -> None:
    """No stem quotes another item's answer (the old A08 -> A12 -> A13 chain)."""
    answers = {item.key: item.options[item.correct_index] for item in DEFAULT_ITEMS}
    for item in DEFAULT_ITEMS:
        for key, answer in answers.items():
            if key != item.key and NUMBER.fullmatch(answer) and len(answer) > 2:
                assert not re.search(rf"(?<![\d,]){re.escape(answer)}(?![\d,])", item.stem), (
                    item.key,
                    key,
                )


def _options(key: str) -> set[str]:
    return set(BY_KEY[key].options)


@pytest.mark.parametrize(("key", "size", "filters"), [("A10", 32, 8), ("B10", 48, 6)])
def test_block_shape_options(key: str, size: int, filters: int) -> None:
    no_pool = conv_out(conv_out(size, 3), 3)
    one_conv = conv_out(size, 3) // 2
    side = no_pool // 2
    assert _options(key) == {
        block_shape(size, filters),
        f"{no_pool}×{no_pool}×{filters}",  # forgets the pooling
        f"{one_conv}×{one_conv}×{filters}",  # counts one convolution
        f"{side}×{side}×{filters * 3}",  # multiplies filters by the image's channels
    }


@pytest.mark.parametrize(("key", "kernel", "filters"), [("A11", 3, 8), ("B11", 5, 4)])
def test_conv_parameter_options(key: str, kernel: int, filters: int) -> None:
    assert _options(key) == {
        fmt_number(v)
        for v in (
            conv_params(kernel, 3, filters),
            conv_params(kernel, 3, filters) - filters,  # forgets the biases
            conv_params(kernel, 1, filters),  # ignores the input channels
            conv_params(kernel, 3, 1),  # counts a single filter
        )
    }


@pytest.mark.parametrize(("key", "shape"), [("A12", (5, 5, 12)), ("B12", (4, 4, 20))])
def test_dense_parameter_options(key: str, shape: tuple[int, int, int]) -> None:
    inputs = int(np.prod(shape))
    expected = {inputs * 10 + 10, inputs * 10, inputs + 10, inputs}
    assert _options(key) == {fmt_number(v) for v in expected}


@pytest.mark.parametrize(("key", "size", "filters"), [("A13", 12, 3), ("B13", 8, 4)])
def test_total_parameter_options(key: str, size: int, filters: int) -> None:
    side = conv_out(size, 3)
    pooled = side // 2
    no_bias = 9 * filters + pooled * pooled * filters * 10
    no_pool = conv_params(3, 1, filters) + side * side * filters * 10 + 10
    expected = {small_network_params(size, filters), no_bias, conv_params(3, 1, filters), no_pool}
    assert _options(key) == {fmt_number(v) for v in expected}


PATCHES = {
    "a horizontal edge: dark above, bright below": [[0, 0, 0], [0.5] * 3, [1, 1, 1]],
    "a horizontal edge: bright above, dark below": [[1, 1, 1], [0.5] * 3, [0, 0, 0]],
    "a vertical edge: dark on the left, bright on the right": [[0, 0.5, 1]] * 3,
    "a vertical edge: bright on the left, dark on the right": [[1, 0.5, 0]] * 3,
    "an evenly bright patch": [[1, 1, 1]] * 3,
}


@pytest.mark.parametrize(
    ("key", "kernel"),
    [("A14", [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]), ("B14", [[-1, 0, 1]] * 3)],
)
def test_filter_items_key_the_strongest_response(key: str, kernel: list[list[int]]) -> None:
    item = BY_KEY[key]
    response = {text: float((np.array(PATCHES[text]) * kernel).sum()) for text in item.options}
    assert item.options[item.correct_index] == max(response, key=response.__getitem__)
    wrong = sorted(response[text] for text in item.options)[:-1]
    # The misconceptions: the opposite edge (sign flipped), the edge turned by 90 degrees
    # (rows and columns swapped), a bright patch (bigger input, bigger output).
    assert wrong == [-3.0, 0.0, 0.0] and max(response.values()) == 3.0
    assert "an evenly bright patch" in item.options


@pytest.mark.parametrize(("key", "kernel"), [("A15", 5), ("B15", 7)])
def test_receptive_field_options(key: str, kernel: int) -> None:
    conv, pool = (kernel, 1), (2, 2)
    assert _options(key) == {
        square(receptive_field([conv, conv, pool])),
        square(receptive_field([conv, conv])),  # forgets the pooling
        square(kernel + kernel + 2),  # windows added as if they did not overlap
        square(2),  # only the pooling window
    }


ORDINAL = ["first", "second", "third", "fourth"]


@pytest.mark.parametrize("key", ["A16", "B16"])
def test_activation_map_options(key: str) -> None:
    item = BY_KEY[key]
    found = re.search(r"map (\[\[.*?\]\])", item.stem)
    assert found is not None
    grid = np.array(json.loads(found.group(1)))
    rows, cols = np.nonzero(grid)
    vertical = len(set(cols)) == 1
    assert vertical == ("vertical edges" in item.stem)
    where = (
        f"under the {ORDINAL[cols[0]]} column" if vertical else f"along the {ORDINAL[rows[0]]} row"
    )
    edge = "A vertical edge runs" if vertical else "A horizontal edge runs"
    assert _options(key) == {
        f"{edge} {where}; elsewhere the filter found none.",
        f"The image is bright {where} and black everywhere else.",  # map = brightness
        "The filter's weights are zero wherever the map is zero.",  # weights vary by place
        f"The object of the predicted class lies {where} only.",  # map = class evidence
    }
    assert item.options[item.correct_index].startswith(edge)

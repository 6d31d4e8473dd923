# ruff: noqa: RUF001  (the items use the true multiplication and minus signs)
"""The built-in forms: every keyed answer recomputed, the forms parallel, import/export."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable

import numpy as np
import pytest
from fastapi.testclient import TestClient

from evaluation.items.bank import DEFAULT_ITEMS
from evaluation.items.io import CSV_COLUMNS, export_csv, parse_csv, parse_json
from evaluation.items.versions import BUILT_IN_LOCK
from evaluation.models import Item
from services.common.errors import ApiError
from tests.evaluation.conftest import MakeClient, PostgresDatabases, instructor_client
from tests.evaluation.helpers import answer_items, consent, create_open_study, join, start

BY_KEY = {item.key: item for item in DEFAULT_ITEMS}


def conv_out(size: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def conv_params(kernel: int, in_channels: int, filters: int) -> int:
    return kernel * kernel * in_channels * filters + filters


def softmax_first(logits: list[float]) -> float:
    exps = np.exp(np.array(logits))
    return float(exps[0] / exps.sum())


def fmt_number(value: float) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"
    return text.replace("-", "−")


def tiny_vgg_shapes() -> dict[str, tuple[int, int, int]]:
    shapes = {}
    size = 64
    for name in ("conv_1_1", "conv_1_2", "pool_1", "conv_2_1", "conv_2_2", "pool_2"):
        size = size // 2 if name.startswith("pool") else conv_out(size, 3)
        shapes[name] = (size, size, 10)
    return shapes


def tiny_vgg_param_counts() -> list[int]:
    flat = math.prod(tiny_vgg_shapes()["pool_2"])
    return [conv_params(3, 3, 10)] + [conv_params(3, 10, 10)] * 3 + [flat * 10 + 10]


def convolve(patch: list[list[float]], kernel: list[list[float]], bias: float) -> float:
    return float((np.array(patch) * np.array(kernel)).sum() + bias)


def relu(values: list[float]) -> str:
    return "[" + ", ".join(fmt_number(max(0.0, v)) for v in values) + "]"


def square(side: int) -> str:
    return f"{side}×{side}"


def block_shape(size: int, filters: int) -> str:
    """Two valid 3x3 convolutions of ``filters`` filters, then 2x2 max pooling."""
    side = conv_out(conv_out(size, 3), 3) // 2
    return f"{side}×{side}×{filters}"


def small_network_params(size: int, filters: int) -> int:
    """A size x size x 1 image, one 3x3 conv, 2x2 max pooling, flatten, dense of 10."""
    pooled = conv_out(size, 3) // 2
    return conv_params(3, 1, filters) + pooled * pooled * filters * 10 + 10


def receptive_field(layers: list[tuple[int, int]]) -> int:
    """The input patch (side) one value sees after ``layers`` of (window, stride)."""
    field, jump = 1, 1
    for window, stride in layers:
        field += (window - 1) * jump
        jump *= stride
    return field


EXPECTED: dict[str, Callable[[], str]] = {
    "A01": lambda: square(conv_out(64, 3)),
    "B01": lambda: square(conv_out(32, 5)),
    "A02": lambda: square(conv_out(7, 3, 1, 2)),
    "B02": lambda: square(conv_out(9, 3, 1, 2)),
    "A03": lambda: fmt_number(convolve([[1, 2], [3, 4]], [[1, 0], [0, -1]], 1)),
    "B03": lambda: fmt_number(convolve([[2, 1], [0, 3]], [[0, 1], [-1, 1]], -1)),
    "A04": lambda: fmt_number(sum([2, -1, 4]) + 0.5),
    "B04": lambda: fmt_number(sum([3, 2, -1]) - 2),
    "A05": lambda: str(np.zeros((62, 62, 10)).shape[-1]),
    "B05": lambda: str(np.zeros((62, 62, 6)).shape[-1]),
    "A06": lambda: relu([-2, 0, 3.5, -0.1]),
    "B06": lambda: relu([1.5, -3, 0, -0.5]),
    "A07": lambda: fmt_number(np.array([[1, 5], [3, 2]]).max()),
    "B07": lambda: fmt_number(np.array([[4, 0], [7, 6]]).max()),
    "A08": lambda: str(np.zeros((7, 7, 6)).flatten().size),
    "B08": lambda: str(np.zeros((6, 6, 8)).flatten().size),
    "A09": lambda: f"{softmax_first([3, 1]):.2f}",
    "B09": lambda: f"{softmax_first([2, 1]):.2f}",
    "A10": lambda: block_shape(32, 8),
    "B10": lambda: block_shape(48, 6),
    "A11": lambda: fmt_number(conv_params(3, 3, 8)),
    "B11": lambda: fmt_number(conv_params(5, 3, 4)),
    "A12": lambda: fmt_number(5 * 5 * 12 * 10 + 10),
    "B12": lambda: fmt_number(4 * 4 * 20 * 10 + 10),
    "A13": lambda: fmt_number(small_network_params(12, 3)),
    "B13": lambda: fmt_number(small_network_params(8, 4)),
    "A14": lambda: "a horizontal edge: dark above, bright below",
    "B14": lambda: "a vertical edge: dark on the left, bright on the right",
    "A15": lambda: square(receptive_field([(5, 1), (5, 1), (2, 2)])),
    "B15": lambda: square(receptive_field([(7, 1), (7, 1), (2, 2)])),
    "A16": lambda: "A vertical edge runs under the third column; elsewhere the filter found none.",
    "B16": lambda: "A horizontal edge runs along the second row; elsewhere the filter found none.",
}


def test_tiny_vgg_reference_numbers() -> None:
    """The numbers both arms show (tutorial page 9, the explorer's parameter line)."""
    assert tiny_vgg_shapes()["pool_2"] == (13, 13, 10)
    assert math.prod(tiny_vgg_shapes()["pool_2"]) == 1690
    assert tiny_vgg_param_counts() == [280, 910, 910, 910, 16910]
    assert sum(tiny_vgg_param_counts()) == 19920
    # Receptive fields of Tiny VGG (tutorial page 10, the explorer's hover line).
    conv, pool = (3, 1), (2, 2)
    fields = [receptive_field([conv] * n) for n in (1, 2)]
    fields += [receptive_field([conv, conv, pool, *[conv] * n]) for n in (0, 1, 2)]
    fields.append(receptive_field([conv, conv, pool, conv, conv, pool]))
    assert fields == [3, 5, 6, 10, 14, 16]


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_keyed_answer_is_the_computed_one(key: str) -> None:
    item = BY_KEY[key]
    assert item.options[item.correct_index] == EXPECTED[key]()
    assert len(set(item.options)) == len(item.options) == 4


def test_json_and_csv_round_trip() -> None:
    items = [Item(id=n, **data.model_dump()) for n, data in enumerate(DEFAULT_ITEMS, 1)]
    assert parse_csv(export_csv(items).encode()) == DEFAULT_ITEMS
    document = json.dumps({"items": [data.model_dump() for data in DEFAULT_ITEMS]})
    assert parse_json(document.encode()) == DEFAULT_ITEMS


def _csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


GOOD_ROW = {
    "key": "C01",
    "form": "A",
    "position": "20",
    "concept": "relu",
    "stem": "ReLU(−1)?",
    "option_1": "0",
    "option_2": "−1",
    "option_3": "1",
    "option_4": "",
    "option_5": "",
    "option_6": "",
    "correct_option": "1",
    "explanation": "max(0, −1) = 0",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"correct_option": "4"}, "row 2, field 'correct_option'"),
        ({"correct_option": "x"}, "row 2, field 'correct_option'"),
        ({"form": "C"}, "row 2, field 'form'"),
        ({"position": "zero"}, "row 2, field 'position'"),
        ({"stem": ""}, "row 2, field 'stem'"),
        ({"option_2": "0"}, "row 2, field 'options'"),
    ],
)
def test_csv_errors_name_row_and_field(change: dict[str, str], message: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_csv(_csv([{**GOOD_ROW, **change}]))
    assert raised.value.status_code == 422
    assert message in raised.value.message


def test_import_endpoint(make_client: MakeClient, postgres: PostgresDatabases) -> None:
    url = postgres.create()  # this test changes the bank: its own database
    client = make_client(url)
    admin = instructor_client(client, url)
    exported = admin.get("/api/instructor/items/export.json")
    assert exported.status_code == 200 and len(exported.json()["items"]) == len(DEFAULT_ITEMS)
    csv_export = admin.get("/api/instructor/items/export.csv")
    assert csv_export.text.splitlines()[0] == ",".join(CSV_COLUMNS)

    headers = {"content-type": "text/csv"}
    bad = _csv([GOOD_ROW, {**GOOD_ROW, "key": "C02", "position": "21", "correct_option": "9"}])
    response = admin.post("/api/instructor/items/import", content=bad, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("row 3, field 'correct_option'")
    assert len(admin.get("/api/instructor/items").json()) == len(DEFAULT_ITEMS)  # nothing imported
    response = admin.post("/api/instructor/items/import", content=_csv([GOOD_ROW]), headers=headers)
    assert response.status_code == 200 and response.json() == {"created": 1, "updated": 0}
    bad_json = admin.post(
        "/api/instructor/items/import", content=b"{", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    wrong_type = admin.post(
        "/api/instructor/items/import", content=b"x", headers={"content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    # A built-in item is read-only for everyone; one's own imported item can change.
    edited = {**exported.json()["items"][0], "stem": "Edited stem"}
    response = admin.post("/api/instructor/items/import", json={"items": [edited]})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "item_built_in")
    mine = {**_csv_item(GOOD_ROW), "stem": "Edited stem"}
    response = admin.post("/api/instructor/items/import", json={"items": [mine]})
    assert response.json() == {"created": 0, "updated": 1}

    # Once a study opened with them, items are in use: an edit makes a new version.
    study = create_open_study(admin)
    headers_student = join(client, study["join_code"])
    consent(client, headers_student)
    view = start(client, headers_student, "pre")
    answer_items(client, headers_student, view, n_correct=len(view["items"]))
    items = admin.get("/api/instructor/items").json()
    answered = next(item for item in items if item["id"] == view["items"][0]["id"])
    # "locked" (and the other read-only fields) sent back with the rest are ignored.
    body = {key: value for key, value in answered.items() if key != "id"}
    # The listing says why an item cannot be edited, so the page offers no Edit that fails.
    built_in = {item["locked"] for item in items if item["owner"] is None}
    assert built_in == {BUILT_IN_LOCK}
    own = next(item for item in items if item["key"] == "C01")
    assert (own["locked"], own["in_use"], own["version"]) == (None, True, 1)
    # An open study no longer freezes the bank: it keeps the versions it opened with.
    row = {**GOOD_ROW, "key": "C02", "position": "21"}
    response = admin.post("/api/instructor/items/import", content=_csv([row]), headers=headers)
    assert response.status_code == 200 and response.json() == {"created": 1, "updated": 0}
    admin.post(f"/api/instructor/studies/{study['id']}/close")
    after = {item["id"]: item for item in admin.get("/api/instructor/items").json()}
    assert after[answered["id"]]["in_use"] is True
    response = admin.put(
        f"/api/instructor/items/{answered['id']}", json={**body, "stem": "changed"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "item_built_in")
    own_body = {key: value for key, value in own.items() if key != "id"}
    response = admin.put(f"/api/instructor/items/{own['id']}", json={**own_body, "stem": "v2"})
    assert response.status_code == 200 and response.json()["version"] == 2
    assert admin.put("/api/instructor/items/999999", json=body).status_code == 404


def _csv_item(row: dict[str, str]) -> dict[str, object]:
    """A CSV row of the tests as the JSON import takes it."""
    options = [row[f"option_{n}"] for n in range(1, 7) if row[f"option_{n}"]]
    return {
        "key": row["key"],
        "form": row["form"],
        "position": int(row["position"]),
        "concept": row["concept"],
        "stem": row["stem"],
        "options": options,
        "correct_index": int(row["correct_option"]) - 1,
        "explanation": row["explanation"],
    }


def test_student_cannot_read_the_bank(client: TestClient) -> None:
    assert client.get("/api/instructor/items").status_code == 401


def test_padding_items_explain_each_wrong_option_by_its_mistake() -> None:
    """Issue 18: A02/B02 said the fourth option "forgets the + 1", but it comes from counting
    the padding twice with the + 1 kept."""
    from evaluation.items.bank import DEFAULT_ITEMS

    by_key = {item.key: item for item in DEFAULT_ITEMS}
    for key, size in (("A02", 7), ("B02", 9)):
        item = by_key[key]
        right = (size + 2 * 1 - 3) // 2 + 1
        no_stride, no_padding = size, (size - 3) // 2 + 1
        padding_twice = (size + 2 * 2 - 3) // 2 + 1
        sides = {right, no_stride, no_padding, padding_twice}
        assert {f"{side}×{side}" for side in sides} == set(item.options), key
        assert item.options[item.correct_index] == f"{right}×{right}"
        assert f"⌊({size} + 2·2 − 3) / 2⌋ + 1 = {padding_twice}" in item.explanation
        assert "forgets the “+ 1”" not in item.explanation

"""Imported models on the real serving path, and in the explorer in headless Chromium.

A Keras model (saved as ``.keras`` and as ``.h5``; "same" padding, a stride-2 conv, 32x32
input, 7 classes) and a TensorFlow.js layers model (48x48, written by the test in the
converter's format) are imported with ``import_model``, then served by the real inference
gRPC server and the real activation service (Redis behind it). Every layer the service
returns must equal the source model's own output for that layer (atol 1e-5). In the
browser, the explorer shows the imported model (``/?model=teacher``) and the convolution
detail view's arithmetic, padding zeros included, adds up to the value the model computed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import keras
import numpy as np
import pytest
from cnn101.v1 import activations_pb2, activations_pb2_grpc
from playwright.sync_api import Page, expect

from services.activations.server import RunningServer
from services.common.bundles import derive_layers, read_tensors
from services.inference.server import InferenceServer
from services.pipeline.bundle import ModelBundle
from services.pipeline.importing import import_model
from tests.exports import export_untrained
from tests.pipeline.test_importing import (
    CLASSES,
    assert_same_activations,
    build_sequential,
    build_source,
    keras_bytes,
    source_outputs,
    tfjs_files,
)
from tests.serving.conftest import Stack, own_model_services
from tests.serving.stack import GatewayThread
from tests.serving.test_spa_e2e import _shot
from tests.serving.test_spa_views_e2e import _values

MAP_TYPES = {"conv", "relu", "max_pool"}


@dataclass
class Imported:
    """The serving path over a base path holding Tiny VGG and two imported models."""

    sources: dict[str, keras.Model]
    bundles: dict[str, ModelBundle]
    inference: InferenceServer
    activations: RunningServer
    gateway: GatewayThread
    http: httpx.Client

    def stub(self) -> activations_pb2_grpc.ActivationServiceStub:
        channel = grpc.insecure_channel(
            f"127.0.0.1:{self.activations.port}",
            options=[("grpc.max_receive_message_length", 1 << 26)],
        )
        return activations_pb2_grpc.ActivationServiceStub(channel)  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def imported(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    root = tmp_path_factory.mktemp("imported")
    base_path = root / "models"
    export_untrained(base_path, "tiny_vgg", version=1, seed=11)
    teacher, tfjs = build_source(size=32), build_sequential(size=48)
    bundles = {
        "teacher": ModelBundle.open(
            import_model(
                {"teacher.keras": keras_bytes(teacher, root, ".keras")},
                base_path=base_path,
                name="teacher",
                class_names=CLASSES,
            )
        ),
        "teacher-h5": ModelBundle.open(
            import_model(
                {"teacher.h5": keras_bytes(teacher, root, ".h5")},
                base_path=base_path,
                name="teacher-h5",
                class_names=CLASSES,
            )
        ),
        "from-tfjs": ModelBundle.open(
            import_model(tfjs_files(tfjs, names=CLASSES), base_path=base_path, name="from-tfjs")
        ),
    }
    with (
        own_model_services(
            stack,
            base_path,
            ["tiny_vgg", *bundles],
            "imported",
            published=list(bundles),
            model_name="tiny_vgg",
            retry_after_seconds=1,
        ) as own,
        httpx.Client(base_url=own.gateway.url, timeout=60) as http,
    ):
        yield Imported(
            {"teacher": teacher, "teacher-h5": teacher, "from-tfjs": tfjs},
            bundles,
            own.inference,
            own.activations,
            own.gateway,
            http,
        )


@pytest.mark.parametrize("name", ["teacher", "teacher-h5", "from-tfjs"])
def test_served_activations_equal_the_source_model(imported: Imported, name: str) -> None:
    bundle = imported.bundles[name]
    size = bundle.input_size
    pixels = np.random.default_rng(7).integers(0, 256, (size, size, 3), dtype=np.uint8)
    stub = imported.stub()
    everything = stub.GetActivations(
        activations_pb2.GetActivationsRequest(
            model_name=name, pixels=pixels.tobytes(), all_layers=True
        ),
        timeout=60,
    )
    assert (everything.model_name, everything.input_size) == (name, size)
    served = read_tensors(everything)
    layers: list[dict[str, Any]] = bundle.description["layers"]
    assert set(served) == {layer["name"] for layer in layers[1:]}
    # What the SPA gets (conv / dense / softmax only) and derives must be the same numbers.
    carried = stub.GetActivations(
        activations_pb2.GetActivationsRequest(model_name=name, pixels=pixels.tobytes()),
        timeout=60,
    )
    derived = derive_layers(layers, read_tensors(carried))
    for layer, values in served.items():
        np.testing.assert_array_equal(derived[layer], values, err_msg=layer)
    image = pixels[np.newaxis].astype(np.float32) / np.float32(255)
    source = source_outputs(imported.sources[name], image)
    ours = {layer: values[np.newaxis] for layer, values in served.items()}
    compared = assert_same_activations(bundle.description["training"], ours, source)
    assert compared == (7 if name == "from-tfjs" else 10)
    np.testing.assert_array_equal(
        np.array(everything.probabilities, dtype=np.float32), served[layers[-1]["name"]]
    )


def test_the_gateway_lists_the_imported_models(imported: Imported) -> None:
    listed = sorted(model["name"] for model in imported.http.get("/api/models").json()["models"])
    assert listed == ["from-tfjs", "teacher", "teacher-h5", "tiny_vgg"]
    description = imported.http.get("/api/models/teacher").json()["description"]
    assert [c["name"] for c in description["classes"]] == CLASSES
    assert description["input"]["shape"] == [32, 32, 3]
    assert description["training"]["source_format"] == "keras"


def _open_teacher(page: Page, imported: Imported) -> str:
    page.goto(imported.gateway.url + "/?model=teacher")
    expect(page.get_by_test_id("overview")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"model=teacher&version=1&example=[\w.-]+"))
    found = re.search(r"example=([\w.-]+)", page.url)
    assert found
    expect(page.locator("[data-class]")).to_have_count(len(CLASSES), timeout=30_000)
    return found[1]


def _example_outputs(imported: Imported, example: str) -> dict[str, np.ndarray]:
    response = imported.http.get(f"/api/examples/{example}/activations?model=teacher&version=1")
    assert response.status_code == 200, response.text
    bundle = activations_pb2.ActivationBundle.FromString(response.content)
    layers = imported.bundles["teacher"].description["layers"]
    outputs = derive_layers(layers, read_tensors(bundle))
    size = bundle.input_size
    pixels = np.frombuffer(bundle.input_pixels, dtype=np.uint8).reshape(size, size, 3)
    outputs["input"] = pixels.astype(np.float32) / np.float32(255)
    return outputs


def test_the_explorer_shows_the_imported_model(imported: Imported, page: Page) -> None:
    _open_teacher(page, imported)
    layers = imported.bundles["teacher"].description["layers"]
    map_layers = [layer for layer in layers if layer["type"] in MAP_TYPES]
    titles = page.locator(".column-title").evaluate_all("els => els.map(e => e.dataset.column)")
    assert titles == ["input", *(layer["name"] for layer in map_layers), layers[-1]["name"]]
    shapes = page.locator(".column-shape").evaluate_all("els => els.map(e => e.textContent)")
    assert shapes[0] == "32\u00d732\u00d73"
    assert shapes[1:-1] == ["\u00d7".join(map(str, layer["output_shape"])) for layer in map_layers]
    for layer in map_layers:
        expect(page.locator(f'[data-layer="{layer["name"]}"]')).to_have_count(
            layer["output_shape"][2]
        )
    # "same" padding keeps 32x32; the stride-2 conv halves 15x15 to 8x8.
    conv_a = page.locator('[data-layer="conv_a"] canvas.heatmap').first
    assert conv_a.evaluate("c => [c.width, c.height]") == [32, 32]
    conv_c = page.locator('[data-layer="conv_c"] canvas.heatmap').first
    assert conv_c.evaluate("c => [c.width, c.height]") == [8, 8]
    shown = page.locator("[data-class]").evaluate_all("els => els.map(e => e.dataset.class)")
    assert shown == CLASSES
    _shot(page, "40-imported-model")


def test_conv_intermediate_view_sums_padded_maps(imported: Imported, page: Page) -> None:
    """The intermediate maps of a "same" conv keep the input's size and add up to its output."""
    _open_teacher(page, imported)
    for layer, channels in (("conv_a", 3), ("conv_c", 5)):
        page.locator(f'[data-layer="{layer}"][data-neuron="1"]').click()
        view = page.get_by_test_id("conv-view")
        expect(view.locator(".conv-row")).to_have_count(channels, timeout=30_000)
        play = page.get_by_test_id("play-pause")
        if play.inner_text() == "Pause":
            play.click()
        formula = page.get_by_test_id("conv-formula")
        total = float(formula.get_attribute("data-total") or "nan")
        model = float(formula.get_attribute("data-model") or "nan")
        assert total == pytest.approx(model, rel=1e-5, abs=1e-6)
        page.get_by_test_id("close-conv").click()
        expect(view).to_have_count(0)


DETAIL_CASES = {
    "top-left corner": ("conv_a", 1, (0, 0), 5),
    "bottom edge": ("conv_a", 2, (31, 5), 3),
    "stride 2, last pixel": ("conv_c", 3, (7, 7), 5),
}


@pytest.mark.parametrize("case", sorted(DETAIL_CASES))
def test_conv_detail_with_same_padding_adds_up(
    imported: Imported,
    page: Page,
    case: str,
) -> None:
    layer, neuron, pixel, padded_cells = DETAIL_CASES[case]
    example = _open_teacher(page, imported)
    outputs = _example_outputs(imported, example)
    description = imported.bundles["teacher"].description
    entry = next(item for item in description["layers"] if item["name"] == layer)
    source = outputs[entry["input"]]
    y, x = pixel
    page.goto(page.url + f"&neuron={layer}%3A{neuron}&detail={y}%2C{x}")
    detail = page.get_by_test_id("conv-detail")
    expect(detail).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("detail-output-map")).to_have_attribute("data-y", str(y))
    # The window of input channel 1 over the zero-padded input, worked out here in NumPy.
    stride = entry["stride"][0]
    height = source.shape[0]
    out = -(-height // stride)
    total_pad = max((out - 1) * stride + 3 - height, 0)
    top = total_pad // 2
    padded = np.pad(source[..., 0], ((top, total_pad - top), (top, total_pad - top)))
    expected = padded[y * stride : y * stride + 3, x * stride : x * stride + 3].ravel()
    window = detail.get_by_test_id("window-grid")
    assert _values(window) == pytest.approx(expected.astype(np.float64))
    expect(window.locator('[data-padding="true"]')).to_have_count(padded_cells)
    expect(detail.get_by_test_id("padding-note")).to_contain_text(f"{padded_cells} of the window")
    expect(detail.get_by_test_id("input-border")).to_have_count(1)
    total = detail.get_by_test_id("detail-total")
    model_value = float(outputs[layer][y, x, neuron])
    assert float(total.get_attribute("data-model") or "nan") == pytest.approx(model_value, rel=1e-6)
    assert float(total.get_attribute("data-total") or "nan") == pytest.approx(
        model_value, rel=1e-5, abs=1e-6
    )
    _shot(page, f"41-imported-{layer}-detail-{y}-{x}")


def test_unknown_keras_file_never_reaches_the_server(imported: Imported, tmp_path: Path) -> None:
    """A refused import writes nothing the inference service would pick up."""
    from services.pipeline.importing import ImportRejected

    with pytest.raises(ImportRejected):
        import_model(
            {"model.keras": b"PK\x03\x04garbage"},
            base_path=imported.bundles["teacher"].path.parents[1],
            name="teacher",
        )
    assert sorted(p.name for p in imported.bundles["teacher"].path.parent.iterdir()) == ["1"]

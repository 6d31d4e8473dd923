"""Predict returns what the SavedModel itself computes, for both signatures and any batch."""

from __future__ import annotations

import numpy as np
import pytest

from tests.inference.client import Client, images, outputs_of, predict_request
from tests.inference.conftest import Exported


@pytest.mark.parametrize("batch", [1, 5])
def test_activations_equal_the_savedmodel_s(client: Client, exported: Exported, batch: int) -> None:
    inputs = images(batch)
    response = client.predict.Predict(
        predict_request("tiny_vgg", inputs, signature="activations"), timeout=60
    )
    expected = exported.bundles[("tiny_vgg", 2)].activations(inputs)
    outputs = outputs_of(response)
    assert set(outputs) == set(expected)
    assert "softmax" in outputs and "conv_1_1" in outputs
    for name, value in expected.items():
        assert outputs[name].dtype == np.float32
        assert outputs[name].shape == value.shape
        np.testing.assert_allclose(outputs[name], value, rtol=0, atol=1e-6, err_msg=name)
    assert outputs["conv_1_1"].shape == (batch, 62, 62, 10)


@pytest.mark.parametrize("batch", [1, 5])
def test_default_signature_gives_probabilities(
    client: Client, exported: Exported, batch: int
) -> None:
    inputs = images(batch, seed=batch)
    response = client.predict.Predict(predict_request("tiny_vgg", inputs), timeout=60)
    outputs = outputs_of(response)
    assert list(outputs) == ["probabilities"]
    expected = exported.bundles[("tiny_vgg", 2)].probabilities(inputs)
    np.testing.assert_allclose(outputs["probabilities"], expected, rtol=0, atol=1e-6)
    assert outputs["probabilities"].shape == (batch, 10)


def test_response_names_model_version_and_signature(client: Client) -> None:
    response = client.predict.Predict(predict_request("tiny_vgg", images(1)), timeout=60)
    assert response.model_spec.name == "tiny_vgg"
    assert response.model_spec.version.value == 2
    assert response.model_spec.signature_name == "serving_default"
    response = client.predict.Predict(
        predict_request("tiny_vgg", images(1), signature="activations", version=1), timeout=60
    )
    assert response.model_spec.version.value == 1
    assert response.model_spec.signature_name == "activations"


def test_an_older_version_is_served_when_asked_for(client: Client, exported: Exported) -> None:
    inputs = images(2, seed=7)
    newest = outputs_of(client.predict.Predict(predict_request("tiny_vgg", inputs), timeout=60))
    older = outputs_of(
        client.predict.Predict(predict_request("tiny_vgg", inputs, version=1), timeout=60)
    )
    np.testing.assert_allclose(
        older["probabilities"],
        exported.bundles[("tiny_vgg", 1)].probabilities(inputs),
        rtol=0,
        atol=1e-6,
    )
    assert not np.allclose(older["probabilities"], newest["probabilities"])


def test_output_filter_returns_only_the_outputs_named(client: Client, exported: Exported) -> None:
    inputs = images(3, seed=3)
    wanted = ["relu_1_2", "softmax"]
    response = client.predict.Predict(
        predict_request("tiny_vgg", inputs, signature="activations", output_filter=wanted),
        timeout=60,
    )
    outputs = outputs_of(response)
    assert sorted(outputs) == wanted
    expected = exported.bundles[("tiny_vgg", 2)].activations(inputs)
    for name in wanted:
        np.testing.assert_allclose(outputs[name], expected[name], rtol=0, atol=1e-6)


def test_a_second_architecture_is_served_beside_the_first(
    client: Client, exported: Exported
) -> None:
    inputs = images(4, size=48, seed=4)
    response = client.predict.Predict(
        predict_request("wide", inputs, signature="activations"), timeout=60
    )
    outputs = outputs_of(response)
    expected = exported.bundles[("wide", 1)].activations(inputs)
    assert set(outputs) == set(expected)
    assert "conv_3_1" in outputs and "max_pool_3" in outputs
    for name, value in expected.items():
        np.testing.assert_allclose(outputs[name], value, rtol=0, atol=1e-6, err_msg=name)
    assert outputs["conv_1_1"].shape == (4, 44, 44, 8)

"""Bad requests get a status and a message the caller can act on, never UNKNOWN."""

from __future__ import annotations

from typing import Any

import grpc
import numpy as np
import pytest
import tensorflow as tf

from tests.inference.client import Client, images, predict_request


def status_of(client: Client, request: Any) -> tuple[Any, str]:
    with pytest.raises(grpc.RpcError) as raised:
        client.predict.Predict(request, timeout=60)
    return raised.value.code(), str(raised.value.details())


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (predict_request("tiny_vgg", images(1, size=32)), ["input", "[?, 64, 64, 3]", "32"]),
        (predict_request("tiny_vgg", images(1)[0]), ["input", "shape"]),
        (predict_request("tiny_vgg", images(2).astype(np.float64)), ["float32", "float64"]),
        (predict_request("tiny_vgg", np.zeros((1, 64, 64, 3), np.int32)), ["float32", "int32"]),
        (predict_request("tiny_vgg", images(1), input_key="image"), ["input", "image"]),
        (predict_request("tiny_vgg", None), ["missing", "input"]),
        (
            predict_request("tiny_vgg", images(1), signature="activations", output_filter=["x"]),
            ["output", "x"],
        ),
        (
            predict_request(
                "tiny_vgg", images(1), signature="activations", output_filter=["flatten"] * 2
            ),
            ["duplicate"],
        ),
        (predict_request("", images(1)), ["name"]),
    ],
    ids=[
        "wrong-size",
        "wrong-rank",
        "float64",
        "int32",
        "wrong-key",
        "no-input",
        "unknown-output",
        "duplicate-output",
        "no-model-name",
    ],
)
def test_invalid_requests_are_invalid_argument(
    client: Client, request_: Any, words: list[str]
) -> None:
    code, message = status_of(client, request_)
    assert code == grpc.StatusCode.INVALID_ARGUMENT, message
    for word in words:
        assert word in message


def test_a_malformed_tensor_is_invalid_argument(client: Client) -> None:
    request = predict_request("tiny_vgg", images(1))
    request.inputs["input"].tensor_content = b"\x00" * 12  # 3 floats for 12288
    code, message = status_of(client, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "input" in message


def test_version_labels_are_not_supported(client: Client) -> None:
    request = predict_request("tiny_vgg", images(1))
    request.model_spec.version_label = "stable"
    code, message = status_of(client, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "version_label" in message


def test_an_unknown_signature_is_failed_precondition_as_in_tf_serving(client: Client) -> None:
    code, message = status_of(client, predict_request("tiny_vgg", images(1), signature="logits"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert 'Serving signature key "logits" not found' in message


@pytest.mark.parametrize(("name", "version"), [("resnet", None), ("tiny_vgg", 9)])
def test_an_unknown_model_or_version_is_not_found(
    client: Client, name: str, version: int | None
) -> None:
    code, message = status_of(client, predict_request(name, images(1), version=version))
    assert code == grpc.StatusCode.NOT_FOUND
    assert name in message


def test_the_server_still_answers_after_errors(client: Client) -> None:
    response = client.predict.Predict(predict_request("tiny_vgg", images(1)), timeout=60)
    assert response.outputs["probabilities"].dtype == tf.float32.as_datatype_enum

"""GetModelMetadata and GetModelStatus answer as TF Serving does; the rest is UNIMPLEMENTED."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
import tensorflow as tf
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (  # type: ignore[import-untyped, unused-ignore]
    ProtoReflectionDescriptorDatabase,
)
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_management_pb2,
    regression_pb2,
)

from tests.inference.client import Client


def metadata_request(name: str, version: int | None = None) -> Any:
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = name
    if version is not None:
        request.model_spec.version.value = version
    return request


def signature_defs(response: Any) -> Any:
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(signature_map)
    return signature_map.signature_def


def shape(tensor_info: Any) -> list[int]:
    return [d.size for d in tensor_info.tensor_shape.dim]


def test_metadata_lists_both_signatures_with_shapes(client: Client) -> None:
    response = client.predict.GetModelMetadata(metadata_request("tiny_vgg"), timeout=60)
    assert response.model_spec.name == "tiny_vgg"
    assert response.model_spec.version.value == 2
    signatures = signature_defs(response)
    assert {"serving_default", "activations"} <= set(signatures)
    default = signatures["serving_default"]
    assert shape(default.inputs["input"]) == [-1, 64, 64, 3]
    assert default.inputs["input"].dtype == tf.float32.as_datatype_enum
    assert list(default.outputs) == ["probabilities"]
    assert shape(default.outputs["probabilities"]) == [-1, 10]
    activations = signatures["activations"]
    assert shape(activations.outputs["conv_1_1"]) == [-1, 62, 62, 10]
    assert shape(activations.outputs["max_pool_2"]) == [-1, 13, 13, 10]
    assert shape(activations.outputs["flatten"]) == [-1, 1690]


def test_metadata_of_a_version_and_of_another_model(client: Client) -> None:
    response = client.predict.GetModelMetadata(metadata_request("tiny_vgg", 1), timeout=60)
    assert response.model_spec.version.value == 1
    response = client.predict.GetModelMetadata(metadata_request("wide"), timeout=60)
    inputs = signature_defs(response)["activations"].inputs["input"]
    assert shape(inputs) == [-1, 48, 48, 3]


def test_metadata_needs_the_signature_def_field(client: Client) -> None:
    for fields in ([], ["signature_def", "labels"]):
        request = metadata_request("tiny_vgg")
        del request.metadata_field[:]
        request.metadata_field.extend(fields)
        with pytest.raises(grpc.RpcError) as raised:
            client.predict.GetModelMetadata(request, timeout=60)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_status_reports_every_version_available(client: Client) -> None:
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "tiny_vgg"
    response = client.models.GetModelStatus(request, timeout=60)
    statuses = response.model_version_status
    assert [s.version for s in statuses] == [1, 2]  # the staging copy is not a version
    available = get_model_status_pb2.ModelVersionStatus.AVAILABLE
    assert all(s.state == available and s.status.error_code == 0 for s in statuses)
    request.model_spec.version.value = 1
    response = client.models.GetModelStatus(request, timeout=60)
    assert [s.version for s in response.model_version_status] == [1]


@pytest.mark.parametrize(("name", "version"), [("resnet", None), ("tiny_vgg", 9), ("wide", 2)])
def test_unknown_model_or_version_is_not_found(
    client: Client, name: str, version: int | None
) -> None:
    status_request = get_model_status_pb2.GetModelStatusRequest()
    status_request.model_spec.name = name
    if version is not None:
        status_request.model_spec.version.value = version
    calls: list[Callable[[], Any]] = [
        lambda: client.predict.GetModelMetadata(metadata_request(name, version), timeout=60),
        lambda: client.models.GetModelStatus(status_request, timeout=60),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as raised:
            call()
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
        assert name in raised.value.details()


def test_other_rpcs_are_unimplemented(client: Client) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: client.predict.Classify(classification_pb2.ClassificationRequest(), timeout=60),
        lambda: client.predict.Regress(regression_pb2.RegressionRequest(), timeout=60),
        lambda: client.predict.MultiInference(inference_pb2.MultiInferenceRequest(), timeout=60),
        lambda: client.models.HandleReloadConfigRequest(
            model_management_pb2.ReloadConfigRequest(), timeout=60
        ),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as raised:
            call()
        assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_reflection_lists_the_services(client: Client) -> None:
    services = set(ProtoReflectionDescriptorDatabase(client.channel).get_services())
    assert {
        "tensorflow.serving.PredictionService",
        "tensorflow.serving.ModelService",
        "grpc.health.v1.Health",
    } <= services

"""Ask the inference service (ours or TensorFlow Serving) for a model's activations.

Uses the ``tensorflow-serving-api`` stubs over an asyncio gRPC channel, without importing
TensorFlow itself (services/common/tensorflow_package.py: its import took 15 s of a restart),
so the TensorProto conversions are services/common/tensor_protos.py rather than TensorFlow's
``make_tensor_proto`` / ``make_ndarray``; tests compare them with TensorFlow's.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
import numpy as np
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from services.common.model_store import FINGERPRINT_METADATA
from services.common.tensor_protos import fill_tensor_proto, float_array

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    # Reconnect within ~2 s of a restarted inference service, not after gRPC's default
    # exponential backoff (up to 120 s), so requests stop failing soon after it is back.
    ("grpc.initial_reconnect_backoff_ms", 500),
    ("grpc.max_reconnect_backoff_ms", 2000),
]
AVAILABLE = get_model_status_pb2.ModelVersionStatus.AVAILABLE


class InferenceClient:
    """Predict and GetModelStatus against one inference target (``host:port``)."""

    def __init__(self, target: str, timeout_seconds: float) -> None:
        self._channel = grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
        self._predict = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)
        self._timeout = timeout_seconds

    async def close(self) -> None:
        await self._channel.close()

    async def served_versions(self, model_name: str) -> list[int]:
        """Versions of ``model_name`` that are AVAILABLE, ascending."""
        request = get_model_status_pb2.GetModelStatusRequest(
            model_spec=model_pb2.ModelSpec(name=model_name)
        )
        response = await self._models.GetModelStatus(request, timeout=self._timeout)
        return sorted(
            int(status.version)
            for status in response.model_version_status
            if status.state == AVAILABLE
        )

    async def activations(
        self, model_name: str, version: int, inputs: np.ndarray, outputs: Sequence[str] = ()
    ) -> tuple[dict[str, np.ndarray], str | None]:
        """The ``activations`` signature on float32 ``N x H x W x 3`` inputs (only the
        ``outputs`` named, all when empty), and the fingerprint of the files that computed
        it (our inference service sends it in the trailing metadata; TF Serving does not)."""
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model_name
        request.model_spec.version.value = version
        request.model_spec.signature_name = "activations"
        request.output_filter.extend(outputs)
        fill_tensor_proto(np.asarray(inputs, dtype="<f4"), request.inputs["input"])
        call = self._predict.Predict(request, timeout=self._timeout)
        response = await call
        trailing = await call.trailing_metadata()
        fingerprint = dict(trailing or ()).get(FINGERPRINT_METADATA)
        arrays = {name: float_array(proto) for name, proto in response.outputs.items()}
        return arrays, None if fingerprint is None else str(fingerprint)

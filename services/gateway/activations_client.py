"""The gateway's client of the activation-cache service.

``GetActivations`` is called with a pass-through deserialiser: the bundle's bytes go from
Redis through the activation service to the browser without being parsed or re-encoded.
gRPC failures become :class:`ApiError` with the status a browser should see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import grpc
from cnn101.v1 import activations_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.errors import ApiError

SERVICE = "/cnn101.v1.ActivationService/"
CACHE_HEALTH_NAME = "cnn101.v1.ActivationCache"
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ModelVersion:
    """A served model version: its ``model.json``, weights and the versions beside it."""

    name: str
    version: int
    description: dict[str, Any]
    weights: bytes
    available_versions: list[int]


def _passthrough(data: bytes) -> bytes:
    return data


class ActivationsClient:
    """Async calls to ``cnn101.v1.ActivationService`` with errors mapped for HTTP."""

    def __init__(self, target: str, timeout_seconds: float, retry_after_seconds: int) -> None:
        self._channel = grpc.aio.insecure_channel(
            target,
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                # Reconnect within ~2 s of a restarted activation service (gRPC's default
                # backoff grows to 120 s, leaving students with 503s long after it is back).
                ("grpc.initial_reconnect_backoff_ms", 500),
                ("grpc.max_reconnect_backoff_ms", 2000),
            ],
        )
        self._timeout = timeout_seconds
        self._retry_after = retry_after_seconds
        self._get_activations = self._channel.unary_unary(
            SERVICE + "GetActivations",
            request_serializer=activations_pb2.GetActivationsRequest.SerializeToString,
            response_deserializer=_passthrough,
        )
        self._describe = self._channel.unary_unary(
            SERVICE + "DescribeModel",
            request_serializer=activations_pb2.DescribeModelRequest.SerializeToString,
            response_deserializer=activations_pb2.ModelDescription.FromString,
        )
        self._list = self._channel.unary_unary(
            SERVICE + "ListModels",
            request_serializer=activations_pb2.ListModelsRequest.SerializeToString,
            response_deserializer=activations_pb2.ModelList.FromString,
        )
        self._health = health_pb2_grpc.HealthStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    def _translate(self, error: grpc.aio.AioRpcError) -> ApiError:
        code = error.code()
        if code == grpc.StatusCode.NOT_FOUND:
            return ApiError(404, "not_found", error.details() or "Not found.")
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return ApiError(400, "invalid_image", error.details() or "Invalid request.")
        return ApiError(
            503,
            "unavailable",
            "The model is not reachable right now; the page will try again in a moment.",
            {"Retry-After": str(self._retry_after)},
        )

    async def bundle(self, request: activations_pb2.GetActivationsRequest) -> bytes:
        try:
            data: bytes = await self._get_activations(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise self._translate(error) from error
        return data

    async def describe(self, model_name: str, version: int = 0) -> ModelVersion:
        request = activations_pb2.DescribeModelRequest(model_name=model_name, model_version=version)
        try:
            response = await self._describe(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise self._translate(error) from error
        return ModelVersion(
            response.model_name,
            int(response.model_version),
            json.loads(response.description_json),
            bytes(response.weights),
            [int(v) for v in response.available_versions],
        )

    async def list_models(self) -> dict[str, list[int]]:
        try:
            response = await self._list(activations_pb2.ListModelsRequest(), timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise self._translate(error) from error
        return {m.model_name: [int(v) for v in m.available_versions] for m in response.models}

    async def health(self) -> dict[str, str]:
        """``{"activations": ..., "cache": ...}`` as ``ok``, ``degraded`` or ``down``."""
        status: dict[str, str] = {}
        for key, service in (("activations", ""), ("cache", CACHE_HEALTH_NAME)):
            try:
                response = await self._health.Check(
                    health_pb2.HealthCheckRequest(service=service), timeout=2.0
                )
                serving = response.status == health_pb2.HealthCheckResponse.SERVING
                status[key] = "ok" if serving else ("degraded" if key == "cache" else "down")
            except grpc.aio.AioRpcError:
                status[key] = "down"
        return status

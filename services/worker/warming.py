"""Warm the activation cache for every example image of a model version.

Plain functions, called by the Celery tasks in :mod:`services.worker.tasks` and tested
directly. Warming goes through the activation service like any student request, so the
cache is filled exactly as a request would fill it, and a warmed key is a cache hit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import grpc
from cnn101.v1 import activations_pb2, activations_pb2_grpc

Progress = Callable[[int, int], None]
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def activation_stub(target: str) -> tuple[grpc.Channel, activations_pb2_grpc.ActivationServiceStub]:
    channel = grpc.insecure_channel(
        target, options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
    )
    return channel, activations_pb2_grpc.ActivationServiceStub(channel)  # type: ignore[no-untyped-call]


def warm_examples(
    stub: activations_pb2_grpc.ActivationServiceStub,
    model_name: str,
    version: int,
    example_ids: Iterable[str],
    progress: Progress | None = None,
) -> int:
    """Request every example's bundle once; return how many were requested."""
    ids = list(example_ids)
    for done, example_id in enumerate(ids, start=1):
        request = activations_pb2.GetActivationsRequest(
            model_name=model_name, model_version=version, example_id=example_id
        )
        stub.GetActivations(request, timeout=60)
        if progress is not None:
            progress(done, len(ids))
    return len(ids)


def served_versions(stub: activations_pb2_grpc.ActivationServiceStub) -> list[tuple[str, int]]:
    """Every (model, version) the platform serves now."""
    listed = stub.ListModels(activations_pb2.ListModelsRequest(), timeout=30)
    return [(m.model_name, int(v)) for m in listed.models for v in m.available_versions]

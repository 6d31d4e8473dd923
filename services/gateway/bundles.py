"""Fetch a bundle through the gateway's memory, then the activation service."""

from __future__ import annotations

from cnn101.v1 import activations_pb2

from services.gateway.state import GatewayState


async def fetch_bundle(
    state: GatewayState,
    model: str,
    version: int,
    digest: str,
    request: activations_pb2.GetActivationsRequest,
) -> bytes:
    """The bundle of ``digest``; ``request`` says how to compute it if nobody has it yet."""
    key = (model, version, digest)
    cached = state.bundles.get(key)
    if cached is not None:
        return cached
    request.model_name = model
    request.model_version = version
    data = await state.client.bundle(request)
    state.bundles[key] = data
    return data

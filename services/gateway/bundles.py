"""Fetch a bundle through the gateway's memory, then the activation service."""

from __future__ import annotations

from cnn101.v1 import activations_pb2

from services.gateway.state import BundleKey, GatewayState

__all__ = ["BundleKey", "fetch_bundle"]


async def fetch_bundle(
    state: GatewayState, key: BundleKey, request: activations_pb2.GetActivationsRequest
) -> bytes:
    """The bundle ``key`` names; ``request`` says how to compute it if nobody has it yet."""
    cached = state.bundles.get(key)
    if cached is not None:
        return cached
    request.model_name = key.model
    request.model_version = key.version
    data = await state.client.bundle(request)
    state.bundles[key] = data
    return data

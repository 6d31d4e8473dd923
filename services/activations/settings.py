"""Configuration of the activation-cache service (``CNN101_*`` environment variables)."""

from __future__ import annotations

from services.common.settings import SharedSettings


class ActivationSettings(SharedSettings):
    """Where to listen, which inference service to use, and the cache's bound."""

    activations_host: str = "127.0.0.1"
    activations_port: int = 8510
    inference_target: str = "127.0.0.1:8500"
    inference_timeout_seconds: float = 15.0
    # When set (e.g. "256mb"), applied to Redis with the allkeys-lru policy at start-up;
    # leave unset when Redis is managed elsewhere (compose passes it on Redis' command line).
    cache_max_memory: str | None = None

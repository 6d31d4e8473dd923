"""Configuration of the activation-cache service (``CNN101_*`` environment variables)."""

from __future__ import annotations

from services.common.settings import SharedSettings


class ActivationSettings(SharedSettings):
    """Where to listen, which inference service to use, and the cache's bound."""

    activations_host: str = "127.0.0.1"
    activations_port: int = 8510
    inference_target: str = "127.0.0.1:8500"
    inference_timeout_seconds: float = 15.0
    # The Redis that holds only cache data, bounded on its own command line (maxmemory,
    # allkeys-lru); unset: the shared ``redis_url`` (then only the entries' expiry bounds it).
    cache_redis_url: str | None = None
    cache_ttl_seconds: int = 24 * 3600

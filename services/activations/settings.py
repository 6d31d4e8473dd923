"""Configuration of the activation-cache service (``CNN101_*`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.pipeline.settings import PROJECT_ROOT


class ActivationSettings(BaseSettings):
    """Where to listen, which inference service and Redis to use, where models and data are."""

    model_config = SettingsConfigDict(env_prefix="CNN101_", extra="ignore")

    activations_host: str = "127.0.0.1"
    activations_port: int = 8510
    inference_target: str = "127.0.0.1:8500"
    inference_timeout_seconds: float = 15.0
    redis_url: str = "redis://127.0.0.1:6379/0"
    cache_prefix: str = "cnn101"
    # When set (e.g. "256mb"), applied to Redis with the allkeys-lru policy at start-up;
    # leave unset when Redis is managed elsewhere (compose passes it on Redis' command line).
    cache_max_memory: str | None = None
    model_base_path: Path = PROJECT_ROOT / "models"
    data_dir: Path = PROJECT_ROOT.parent / "shared" / "data" / "tiny-imagenet-10"

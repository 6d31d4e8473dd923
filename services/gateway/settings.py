"""Configuration of the gateway, the only port students use (``CNN101_*`` variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.pipeline.settings import PROJECT_ROOT


class GatewaySettings(BaseSettings):
    """Where to listen, where the activation service is, the upload limits, the SPA build."""

    model_config = SettingsConfigDict(env_prefix="CNN101_", extra="ignore")

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    # Processes serving HTTP; each keeps its own in-memory bundle cache.
    gateway_workers: int = 1
    activations_target: str = "127.0.0.1:8510"
    activations_timeout_seconds: float = 20.0
    model_name: str = "tiny_vgg"
    data_dir: Path = PROJECT_ROOT.parent / "shared" / "data" / "tiny-imagenet-10"
    max_upload_bytes: int = 10 * 1024 * 1024
    max_upload_pixels: int = 40_000_000
    spa_dir: Path = PROJECT_ROOT / "frontend" / "dist"
    # Bundles are immutable per (model, version, digest): the gateway keeps the most
    # recent ones in memory so a class opening the same example costs no network hop.
    bundle_memory_bytes: int = 64 * 1024 * 1024
    retry_after_seconds: int = 5
    evaluation_url: str = "http://127.0.0.1:8001"
    evaluation_timeout_seconds: float = 15.0
    broker_url: str = "redis://127.0.0.1:6379/1"
    result_backend: str = "redis://127.0.0.1:6379/1"
    # Presenter mode: presentations live in this Redis (the activation cache's by default).
    redis_url: str = "redis://127.0.0.1:6379/0"
    cache_prefix: str = "cnn101"
    # A presentation nobody changes for this long ends by itself.
    presentation_ttl_seconds: int = 4 * 3600
    # Followers' streams carry a comment this often, so proxies keep them open.
    presentation_heartbeat_seconds: float = 15.0

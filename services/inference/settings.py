"""Configuration of the inference server, read from ``CNN101_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.pipeline.settings import PROJECT_ROOT

MEBIBYTE = 1024 * 1024


class InferenceSettings(BaseSettings):
    """Where to listen and what to serve; every default runs on one machine.

    The model base path is the pipeline's (``CNN101_MODEL_BASE_PATH``), so a model the
    pipeline exports is the model this server serves. Messages are allowed 64 MiB because
    the activations of a batch of 32 images are about 25 MB.
    """

    model_config = SettingsConfigDict(env_prefix="CNN101_", extra="ignore")

    inference_host: str = "127.0.0.1"
    inference_port: int = Field(default=8500, ge=0, le=65535)
    model_base_path: Path = PROJECT_ROOT / "models"
    inference_poll_seconds: float = Field(default=2.0, gt=0)
    inference_max_message_bytes: int = Field(default=64 * MEBIBYTE, gt=0)
    inference_workers: int = Field(default=8, ge=1)
    inference_grace_seconds: float = Field(default=5.0, ge=0)

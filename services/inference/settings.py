"""Configuration of the inference server, read from ``CNN101_*`` environment variables."""

from __future__ import annotations

from pydantic import Field

from services.common.settings import SharedSettings

MEBIBYTE = 1024 * 1024


class InferenceSettings(SharedSettings):
    """Where to listen and what to serve; every default runs on one machine.

    The model base path is the pipeline's (``CNN101_MODEL_BASE_PATH``), so a model the
    pipeline exports is the model this server serves. Messages are allowed 64 MiB because
    the activations of a batch of 32 images are about 25 MB.
    """

    inference_host: str = "127.0.0.1"
    inference_port: int = Field(default=8500, ge=0, le=65535)
    inference_poll_seconds: float = Field(default=2.0, gt=0)
    inference_max_message_bytes: int = Field(default=64 * MEBIBYTE, gt=0)
    inference_workers: int = Field(default=8, ge=1)
    inference_grace_seconds: float = Field(default=5.0, ge=0)

"""Configuration of the inference server, read from ``CNN101_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, field_validator

from services.common.settings import SharedSettings
from services.inference.runtimes import RuntimeChoice

MEBIBYTE = 1024 * 1024


class InferenceSettings(SharedSettings):
    """Where to listen and what to serve; every default runs on one machine.

    The model base path is the pipeline's (``CNN101_MODEL_BASE_PATH``), so a model the
    pipeline exports is the model this server serves. Messages are allowed 64 MiB because
    the activations of a batch of 32 images are about 25 MB.

    A Predict is refused before it runs when its batch is over the cap of its signature
    (``inference_max_batch_by_signature``, else ``inference_max_batch``; JSON in the
    environment: ``CNN101_INFERENCE_MAX_BATCH_BY_SIGNATURE='{"activations": 64}'``) or when
    its response would not fit in a message. A batch is computed ``inference_chunk_images``
    images at a time, and the call is checked between chunks, so a deadline or a cancelled
    call stops the work within one chunk and only one chunk's tensors are alive at once.
    """

    inference_host: str = "127.0.0.1"
    inference_port: int = Field(default=8500, ge=0, le=65535)
    # A second address of this process only (e.g. ``unix:/run/inference-2.sock``): several
    # processes share the port (SO_REUSEPORT), so a liveness check of one of them must
    # reach that one (services/runner.py).
    inference_private_address: str | None = None
    inference_poll_seconds: float = Field(default=2.0, gt=0)
    inference_max_message_bytes: int = Field(default=64 * MEBIBYTE, gt=0)
    inference_workers: int = Field(default=8, ge=1)
    inference_grace_seconds: float = Field(default=5.0, ge=0)
    inference_max_batch: int = Field(default=256, ge=1)
    inference_max_batch_by_signature: dict[str, int] = Field(
        default_factory=lambda: {"activations": 64}
    )
    inference_chunk_images: int = Field(default=16, ge=1)
    # Replay assets.extra/tf_serving_warmup_requests (or a zero image per signature) when a
    # version loads, before it is served: its first requests then cost what later ones do.
    inference_warmup: bool = True
    # "auto": a version's LiteRT copy when it has a valid one (no TensorFlow in the process),
    # else TensorFlow; "tensorflow": always the SavedModel with TensorFlow.
    inference_runtime: RuntimeChoice = "auto"

    @field_validator("inference_max_batch_by_signature")
    @classmethod
    def _positive_caps(cls, caps: dict[str, int]) -> dict[str, int]:
        """A cap below 1 would refuse every request of its signature: a typo, not a policy."""
        bad = {name: cap for name, cap in caps.items() if cap < 1}
        if bad:
            raise ValueError(f"batch caps must be at least 1, got {bad}")
        return caps

"""What one Predict may cost: a batch cap per signature and a response that fits a message.

Both are checked before anything is computed, from the request's tensor shapes and the
SignatureDef's output shapes, so an oversized request costs a status, not seconds of CPU
and gigabytes of tensors that gRPC would then refuse to send. Messages name the limit and
the setting behind it, so the caller knows how to split the request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.inference.models import RequestError

# Proto framing of a response beside the tensor bytes: model spec, and per output the map
# key, dtype and shape. Generous, so an estimate that fits really fits.
RESPONSE_FIXED_BYTES = 1024
OUTPUT_FRAMING_BYTES = 64


class BatchTooLargeError(RequestError):
    """More images than the signature's cap (INVALID_ARGUMENT: the request must change)."""


class ResponseTooLargeError(Exception):
    """The response would not fit in a message (RESOURCE_EXHAUSTED, as gRPC's own limit)."""


@dataclass(frozen=True)
class PredictLimits:
    """The caps of :class:`~services.inference.settings.InferenceSettings`, for one server."""

    max_batch: int = 256
    max_batch_by_signature: Mapping[str, int] = field(default_factory=lambda: {"activations": 64})
    max_response_bytes: int = 64 * 1024 * 1024
    chunk_images: int = 16

    def batch_cap(self, signature_name: str) -> tuple[int, str]:
        """The cap of ``signature_name`` and the variable that sets it."""
        if signature_name in self.max_batch_by_signature:
            cap = self.max_batch_by_signature[signature_name]
            return cap, "CNN101_INFERENCE_MAX_BATCH_BY_SIGNATURE"
        return self.max_batch, "CNN101_INFERENCE_MAX_BATCH"

    def check_batch(self, signature_name: str, batch: int) -> None:
        cap, variable = self.batch_cap(signature_name)
        if batch > cap:
            raise BatchTooLargeError(
                f"a batch of {batch} images is over the cap of signature '{signature_name}': "
                f"send at most {cap} images per request (server setting {variable})"
            )

    def check_response(
        self, signature_name: str, batch: int, bytes_per_image: float, outputs: Sequence[str]
    ) -> None:
        """Raise :class:`ResponseTooLargeError` if ``batch`` images' outputs would not fit."""
        fixed = RESPONSE_FIXED_BYTES + sum(OUTPUT_FRAMING_BYTES + len(a) for a in outputs)
        estimate = fixed + math.ceil(batch * bytes_per_image)
        if estimate <= self.max_response_bytes:
            return
        fitting = max(0, int((self.max_response_bytes - fixed) // bytes_per_image))
        raise ResponseTooLargeError(
            f"the response of signature '{signature_name}' for {batch} images would be about "
            f"{estimate} bytes ({round(bytes_per_image)} bytes per image), over the server's "
            f"message limit of {self.max_response_bytes} bytes "
            f"(CNN101_INFERENCE_MAX_MESSAGE_BYTES): send at most {fitting} images per "
            "request, or ask for fewer outputs with output_filter"
        )


def request_batch(inputs: Mapping[str, Any]) -> int:
    """The batch a request claims: the largest leading dimension of its input TensorProtos.

    Read from the protos' shapes, before the tensors are decoded.
    """
    sizes = [int(p.tensor_shape.dim[0].size) for p in inputs.values() if p.tensor_shape.dim]
    return max(sizes, default=0)

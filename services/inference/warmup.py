"""Warm a version up before it is served, as TensorFlow Serving does.

The first call of each signature costs 100-560 ms more than later ones (graph
optimisation and kernel set-up), and that cost should not fall on the first student. TF
Serving replays ``assets.extra/tf_serving_warmup_requests``, a TFRecord file of
``PredictionLog`` records, when it loads a version and fails the load if a record fails;
we do the same with the same file (the export writes it), through the same code as a
Predict. A version without the file gets one zero image per signature instead.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

from services.common.model_store import ASSETS_DIR
from services.common.tensor_protos import TensorConversionError, fill_tensor_proto, numpy_dtype
from services.inference.limits import PredictLimits
from services.inference.models import Servable, Warmup
from services.inference.servicer import run_predict

__all__ = ["WARMUP_FILE", "Warmup", "WarmupError", "warm_up"]

logger = logging.getLogger(__name__)

WARMUP_FILE = "tf_serving_warmup_requests"
ZERO_IMAGES = "zero images"
MAX_WARMUP_RECORDS = 1000  # TF Serving's limit


class WarmupError(RuntimeError):
    """A warm-up record is unreadable or fails: the version is not served (as TF Serving)."""


def read_warmup_requests(servable: Servable) -> list[Any] | None:
    """The PredictRequests of the version's warm-up file; None when it has none.

    Records of other kinds (classify, regress, ...) are skipped: this server offers Predict
    only, so a client could not send them either.
    """
    path = servable.path / ASSETS_DIR / WARMUP_FILE
    if not path.is_file():
        return None
    requests = []
    try:
        for number, record in enumerate(tfrecords(path.read_bytes()), start=1):
            if number > MAX_WARMUP_RECORDS:
                raise WarmupError(f"{WARMUP_FILE} has more than {MAX_WARMUP_RECORDS} records")
            log = prediction_log_pb2.PredictionLog.FromString(record)
            if log.WhichOneof("log_type") == "predict_log":
                requests.append(log.predict_log.request)
            else:
                logger.warning("skipping a %s warm-up record", log.WhichOneof("log_type"))
    except ValueError as error:  # a DecodeError is a ValueError
        raise WarmupError(f"{WARMUP_FILE} is unreadable: {error}") from error
    return requests


def tfrecords(data: bytes) -> Iterator[bytes]:
    """The records of a TFRecord file: each is a little-endian uint64 length, its masked
    CRC-32C, the bytes and their masked CRC-32C. The checksums are not verified (the standard
    library has no CRC-32C, and TensorFlow's reader needs all of TensorFlow); the lengths are
    checked and every record is then parsed as a protocol message, which fails on damage."""
    offset = 0
    while offset < len(data):
        if offset + 12 > len(data):
            raise ValueError(f"a record header is cut at byte {offset}")
        (length,) = struct.unpack_from("<Q", data, offset)
        start = offset + 12
        if start + length + 4 > len(data):
            raise ValueError(f"a record of {length} bytes at byte {offset} is cut")
        yield data[start : start + length]
        offset = start + length + 4


def zero_requests(servable: Servable) -> list[Any]:
    """One request of one zero image per signature whose inputs have a numeric shape."""
    requests = []
    for name, signature in sorted(servable.signature_defs.items()):
        if name not in servable.runnable:
            continue
        request = predict_pb2.PredictRequest()
        request.model_spec.signature_name = name
        for alias, info in signature.inputs.items():
            try:
                dtype = numpy_dtype(info.dtype)
            except TensorConversionError:
                break
            if info.tensor_shape.unknown_rank or dtype.kind not in "fiu":
                break
            shape = [1 if d.size < 0 else d.size for d in info.tensor_shape.dim]
            fill_tensor_proto(np.zeros(shape, dtype), request.inputs[alias])
        else:
            requests.append(request)
    return requests


def warm_up(servable: Servable, limits: PredictLimits) -> Warmup:
    """Replay the version's warm-up requests (or zero images); raise WarmupError if one fails."""
    start = time.monotonic()
    requests = read_warmup_requests(servable)
    source = WARMUP_FILE
    if requests is None:
        requests, source = zero_requests(servable), ZERO_IMAGES
    for number, request in enumerate(requests, start=1):
        try:
            run_predict(servable, request, limits, capped=False)
        except Exception as error:
            raise WarmupError(
                f"warm-up request {number} of {len(requests)} ({source}) failed: {error}"
            ) from error
    warmup = Warmup(len(requests), source, time.monotonic() - start)
    logger.info(
        "warmed up %s version %d with %d requests (%s) in %.2f s",
        servable.name,
        servable.version,
        warmup.requests,
        source,
        warmup.seconds,
    )
    return warmup

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
import time
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

from services.common.model_store import ASSETS_DIR
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
        for number, record in enumerate(tf.data.TFRecordDataset(str(path)), start=1):
            if number > MAX_WARMUP_RECORDS:
                raise WarmupError(f"{WARMUP_FILE} has more than {MAX_WARMUP_RECORDS} records")
            log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
            if log.WhichOneof("log_type") == "predict_log":
                requests.append(log.predict_log.request)
            else:
                logger.warning("skipping a %s warm-up record", log.WhichOneof("log_type"))
    except (tf.errors.OpError, ValueError) as error:  # DecodeError is a ValueError
        raise WarmupError(f"{WARMUP_FILE} is unreadable: {error}") from error
    return requests


def zero_requests(servable: Servable) -> list[Any]:
    """One request of one zero image per signature whose inputs have a numeric shape."""
    requests = []
    for name, signature in sorted(servable.signature_defs.items()):
        if name not in servable.functions:
            continue
        request = predict_pb2.PredictRequest()
        request.model_spec.signature_name = name
        for alias, info in signature.inputs.items():
            dtype = tf.dtypes.as_dtype(info.dtype)
            if info.tensor_shape.unknown_rank or not (dtype.is_floating or dtype.is_integer):
                break
            shape = [1 if d.size < 0 else d.size for d in info.tensor_shape.dim]
            zeros = np.zeros(shape, dtype.as_numpy_dtype)
            request.inputs[alias].CopyFrom(tf.make_tensor_proto(zeros))
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

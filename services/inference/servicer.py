"""TensorFlow Serving's PredictionService and ModelService over a :class:`ModelRegistry`.

Status codes and messages follow TF Serving's, so a client cannot tell the two servers
apart: unknown model or version is NOT_FOUND, an unknown signature FAILED_PRECONDITION,
anything wrong in the request INVALID_ARGUMENT (``version_label`` included: labels are
not supported, as in a TF Serving started without ``--allow_version_labels``). Every error
is turned into a status here, so none reaches gRPC as UNKNOWN. Tensors are read and written
as ``tf.make_ndarray`` / ``tf.make_tensor_proto`` do (services/common/tensor_protos.py),
without loading TensorFlow.

A Predict is checked against :class:`PredictLimits` before it runs (INVALID_ARGUMENT for a
batch over its cap, RESOURCE_EXHAUSTED for a response over the message limit) and is
computed in chunks; between two chunks the call is looked at, and a caller whose deadline
has passed or who cancelled ends the work (DEADLINE_EXCEEDED or CANCELLED), so nobody's
abandoned batch holds the CPU and its tensors.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar

import grpc
import numpy as np
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from services.common.model_store import FINGERPRINT_METADATA
from services.common.tensor_protos import fill_tensor_proto, to_ndarray
from services.inference.limits import (
    PredictLimits,
    ResponseTooLargeError,
    request_batch,
)
from services.inference.models import (
    DEFAULT_SIGNATURE,
    ChunkWatcher,
    RequestError,
    Servable,
    SignatureNotFoundError,
    wanted_outputs,
)
from services.inference.registry import ModelRegistry, ModelsLoadingError, ServableNotFoundError

logger = logging.getLogger(__name__)

SIGNATURE_DEF = "signature_def"
_GRPC_CODES = {code.value[0]: code for code in grpc.StatusCode}

S = TypeVar("S")
R = TypeVar("R")


class CallEndedError(Exception):
    """The caller is gone (deadline passed, or cancelled): stop computing for it."""

    def __init__(self, code: Any, message: str) -> None:
        super().__init__(message)
        self.code = code


_ERROR_CODES: tuple[tuple[type[Exception], Any], ...] = (
    (ResponseTooLargeError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (ServableNotFoundError, grpc.StatusCode.NOT_FOUND),
    (ModelsLoadingError, grpc.StatusCode.UNAVAILABLE),
    (SignatureNotFoundError, grpc.StatusCode.FAILED_PRECONDITION),
    (RequestError, grpc.StatusCode.INVALID_ARGUMENT),
)


def _tensorflow_op_error() -> type[Exception] | None:
    """TensorFlow's error class, when TensorFlow runs a version in this process."""
    errors = sys.modules.get("tensorflow.python.framework.errors_impl")
    return getattr(errors, "OpError", None)


def _status(error: Exception) -> tuple[Any, str]:
    """The gRPC status code and message for an error raised while serving a request."""
    if isinstance(error, CallEndedError):
        return error.code, str(error)
    for kind, code in _ERROR_CODES:
        if isinstance(error, kind):
            return code, str(error)
    op_error = _tensorflow_op_error()
    if op_error is not None and isinstance(error, op_error):
        code = _GRPC_CODES.get(getattr(error, "error_code", None), grpc.StatusCode.INTERNAL)
        return code, str(getattr(error, "message", error))
    logger.exception("unexpected error while serving a request")
    return grpc.StatusCode.INTERNAL, f"internal error: {type(error).__name__}: {error}"


def _abort(context: Any, code: Any, message: str) -> NoReturn:
    context.abort(code, message)
    raise AssertionError("grpc's ServicerContext.abort always raises")


def _guarded(method: Callable[[S, Any, Any], R]) -> Callable[[S, Any, Any], R]:
    """Turn any error of ``method`` into a gRPC status (see :func:`_status`)."""

    @functools.wraps(method)
    def wrapper(self: S, request: Any, context: Any) -> R:
        try:
            return method(self, request, context)
        except Exception as error:
            code, message = _status(error)
        _abort(context, code, message)

    return wrapper


def _unimplemented(name: str) -> Callable[[Any, Any, Any], NoReturn]:
    def method(self: Any, request: Any, context: Any) -> NoReturn:
        _abort(context, grpc.StatusCode.UNIMPLEMENTED, f"{name} is not implemented here")

    return method


def model_request(request: Any) -> tuple[str, int | None]:
    """The model name and version (None = newest) that a request's ``model_spec`` asks for."""
    if not request.HasField("model_spec"):
        raise RequestError("Missing ModelSpec")
    spec = request.model_spec
    if not spec.name:
        raise RequestError("ModelSpec has no name specified.")
    choice = spec.WhichOneof("version_choice")
    if choice == "version_label":
        raise RequestError(
            "ModelSpec has 'version_label' set, but it is not currently allowed by the "
            "server; ask for model_spec.version instead."
        )
    return spec.name, int(spec.version.value) if choice == "version" else None


def to_array(alias: str, proto: Any) -> np.ndarray:
    """A request tensor as a NumPy array; a malformed one is the caller's error."""
    try:
        return to_ndarray(proto)
    except Exception as error:
        raise RequestError(f"tensor parsing error: {alias}: {error}") from error


class PredictStats:
    """What this server's Predict calls computed and how they ended, for tests and operators.

    ``in_flight`` counts calls between arrival and return; ``chunks_computed`` every chunk
    of a client's batch (warm-up is not counted); ``stopped`` calls ended by their caller,
    by status code name.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self.chunks_computed = 0
        self.stopped: dict[str, int] = {}

    def begin(self) -> None:
        with self._lock:
            self.in_flight += 1

    def end(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def chunk(self) -> None:
        with self._lock:
            self.chunks_computed += 1

    def stop(self, code: Any) -> None:
        with self._lock:
            self.stopped[code.name] = self.stopped.get(code.name, 0) + 1


class _CallWatcher:
    """Between chunks: stop if the caller is gone; after the first, check the real size."""

    def __init__(
        self,
        context: Any,
        stats: PredictStats,
        limits: PredictLimits,
        signature_name: str,
        batch: int,
    ) -> None:
        self._context = context
        self._stats = stats
        self._limits = limits
        self._signature_name = signature_name
        self._batch = batch
        self._chunks = 0

    def before_chunk(self) -> None:
        remaining = self._context.time_remaining()
        if remaining is not None and remaining <= 0:
            self._end(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
        if not self._context.is_active():
            self._end(grpc.StatusCode.CANCELLED, "the call was cancelled")

    def after_chunk(self, images: int, outputs: Mapping[str, np.ndarray]) -> None:
        self._chunks += 1
        self._stats.chunk()
        if self._chunks == 1 and images > 0:
            size = sum(value.nbytes for value in outputs.values()) / images
            self._limits.check_response(self._signature_name, self._batch, size, list(outputs))

    def _end(self, code: Any, why: str) -> NoReturn:
        self._stats.stop(code)
        logger.info(
            "Predict of %d images stopped after %d chunks: %s",
            self._batch,
            self._chunks,
            why,
        )
        raise CallEndedError(code, f"{why}; stopped after {self._chunks} chunks")


def run_predict(
    servable: Servable,
    request: Any,
    limits: PredictLimits,
    watch: Callable[[str, int], ChunkWatcher] | None = None,
    *,
    capped: bool = True,
) -> Any:
    """Answer ``request`` with ``servable``: the checks, the chunked run, the response.

    ``watch`` makes the watcher of the call from its signature and batch; ``capped=False``
    skips the caps (warm-up requests are the model owner's, not a client's).
    """
    signature_name = request.model_spec.signature_name or DEFAULT_SIGNATURE
    signature = servable.signature(signature_name)  # an unknown one fails first, as TF Serving
    output_filter = list(request.output_filter)
    wanted = wanted_outputs(signature, output_filter)
    batch = request_batch(request.inputs)
    if capped:
        limits.check_batch(signature_name, batch)
        per_image = servable.bytes_per_image(signature_name, wanted)
        limits.check_response(signature_name, batch, per_image, wanted)
    inputs = {alias: to_array(alias, proto) for alias, proto in request.inputs.items()}
    outputs = servable.run(
        signature_name,
        inputs,
        output_filter,
        chunk_images=limits.chunk_images,
        watcher=watch(signature_name, batch) if watch is not None else None,
    )
    response = predict_pb2.PredictResponse()
    response.model_spec.name = servable.name
    response.model_spec.version.value = servable.version
    response.model_spec.signature_name = signature_name
    for alias, value in outputs.items():
        fill_tensor_proto(value, response.outputs[alias])
    return response


class PredictionServicer:
    """``tensorflow.serving.PredictionService``: Predict and GetModelMetadata."""

    def __init__(self, registry: ModelRegistry, limits: PredictLimits, stats: PredictStats) -> None:
        self._registry = registry
        self._limits = limits
        self._stats = stats

    @_guarded
    def Predict(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC's names)
        self._stats.begin()
        try:
            servable = self._registry.get(*model_request(request))
            # Which exported files answer: the activation service caches by it.
            context.set_trailing_metadata(((FINGERPRINT_METADATA, servable.fingerprint),))

            def watch(signature_name: str, batch: int) -> ChunkWatcher:
                return _CallWatcher(context, self._stats, self._limits, signature_name, batch)

            return run_predict(servable, request, self._limits, watch)
        finally:
            self._stats.end()

    @_guarded
    def GetModelMetadata(self, request: Any, context: Any) -> Any:  # noqa: N802
        name, version = model_request(request)
        if not request.metadata_field:
            raise RequestError("GetModelMetadataRequest must specify at least one metadata_field")
        for field in request.metadata_field:
            if field != SIGNATURE_DEF:
                raise RequestError(f"Metadata field {field} is not supported")
        servable = self._registry.get(name, version)
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for key, signature_def in servable.signature_defs.items():
            signature_map.signature_def[key].CopyFrom(signature_def)
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = servable.name
        response.model_spec.version.value = servable.version
        response.metadata[SIGNATURE_DEF].Pack(signature_map)
        return response

    Classify = _unimplemented("Classify")
    Regress = _unimplemented("Regress")
    MultiInference = _unimplemented("MultiInference")


class ModelServicer:
    """``tensorflow.serving.ModelService``: GetModelStatus (config reloads are not offered)."""

    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    @_guarded
    def GetModelStatus(self, request: Any, context: Any) -> Any:  # noqa: N802
        name, version = model_request(request)
        statuses = self._registry.statuses(name)
        if not statuses:
            raise ServableNotFoundError(f"Could not find any versions of model {name}")
        if version is not None:
            statuses = [status for status in statuses if status.version == version]
            if not statuses:
                raise ServableNotFoundError(f"Could not find version {version} of model {name}")
        state = get_model_status_pb2.ModelVersionStatus.State
        response = get_model_status_pb2.GetModelStatusResponse()
        for status in statuses:
            entry = response.model_version_status.add()
            entry.version = status.version
            entry.state = state.AVAILABLE if status.error is None else state.END
            if status.error is not None:
                entry.status.error_code = grpc.StatusCode.UNKNOWN.value[0]
                entry.status.error_message = status.error
        return response

    HandleReloadConfigRequest = _unimplemented("HandleReloadConfigRequest")


def add_servicers(
    server: Any,
    registry: ModelRegistry,
    limits: PredictLimits | None = None,
    stats: PredictStats | None = None,
) -> None:
    """Register both services on ``server``."""
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionServicer(registry, limits or PredictLimits(), stats or PredictStats()), server
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(registry), server)

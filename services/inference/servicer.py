"""TensorFlow Serving's PredictionService and ModelService over a :class:`ModelRegistry`.

Status codes and messages follow TF Serving's, so a client cannot tell the two servers
apart: unknown model or version is NOT_FOUND, an unknown signature FAILED_PRECONDITION,
anything wrong in the request INVALID_ARGUMENT (``version_label`` included: labels are
not supported, as in a TF Serving started without ``--allow_version_labels``). Every error
is turned into a status here, so none reaches gRPC as UNKNOWN. Tensors go through
``tf.make_ndarray`` / ``tf.make_tensor_proto``, the converters of the TensorProto field.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from services.inference.models import DEFAULT_SIGNATURE, RequestError, SignatureNotFoundError
from services.inference.registry import ModelRegistry, ModelsLoadingError, ServableNotFoundError

logger = logging.getLogger(__name__)

SIGNATURE_DEF = "signature_def"
_GRPC_CODES = {code.value[0]: code for code in grpc.StatusCode}

S = TypeVar("S")
R = TypeVar("R")


def _status(error: Exception) -> tuple[Any, str]:
    """The gRPC status code and message for an error raised while serving a request."""
    if isinstance(error, ServableNotFoundError):
        return grpc.StatusCode.NOT_FOUND, str(error)
    if isinstance(error, ModelsLoadingError):
        return grpc.StatusCode.UNAVAILABLE, str(error)
    if isinstance(error, SignatureNotFoundError):
        return grpc.StatusCode.FAILED_PRECONDITION, str(error)
    if isinstance(error, RequestError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(error)
    if isinstance(error, tf.errors.OpError):
        return _GRPC_CODES.get(error.error_code, grpc.StatusCode.INTERNAL), str(error.message)
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
        return np.asarray(tf.make_ndarray(proto))
    except Exception as error:
        raise RequestError(f"tensor parsing error: {alias}: {error}") from error


class PredictionServicer:
    """``tensorflow.serving.PredictionService``: Predict and GetModelMetadata."""

    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    @_guarded
    def Predict(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC's names)
        servable = self._registry.get(*model_request(request))
        signature = request.model_spec.signature_name or DEFAULT_SIGNATURE
        servable.signature(signature)  # an unknown one fails first, as in TF Serving
        inputs = {alias: to_array(alias, proto) for alias, proto in request.inputs.items()}
        outputs = servable.run(signature, inputs, list(request.output_filter))
        response = predict_pb2.PredictResponse()
        response.model_spec.name = servable.name
        response.model_spec.version.value = servable.version
        response.model_spec.signature_name = signature
        for alias, value in outputs.items():
            response.outputs[alias].CopyFrom(tf.make_tensor_proto(value))
        return response

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


def add_servicers(server: Any, registry: ModelRegistry) -> None:
    """Register both services on ``server``."""
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionServicer(registry), server
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(registry), server)

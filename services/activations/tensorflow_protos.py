"""Import TensorFlow Serving's message types without importing TensorFlow.

``tensorflow_serving.apis.*_pb2`` import ``tensorflow.core.framework.*_pb2``, and Python runs
``tensorflow/__init__.py`` (all of TensorFlow: about 15 s of CPU on this project's 2-core
machine) before any submodule. A process that only speaks the protocol (the activation
service) registers a bare ``tensorflow`` package whose path is the real one, so only the
generated ``_pb2`` modules load: 0.35 s. That is what lets a restarted activation service
answer again within seconds (services/supervisor.py).

Only a process's entry point may call :func:`skip_tensorflow_package_init`, before anything
imports TensorFlow: afterwards ``import tensorflow`` in that process yields the bare package.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tensorflow.core.framework.tensor_pb2 import TensorProto

DT_FLOAT = 1  # tensorflow.core.framework.types_pb2.DT_FLOAT


def skip_tensorflow_package_init() -> None:
    """Make ``import tensorflow.core...`` load only those modules (see the module's doc)."""
    if "tensorflow" in sys.modules:
        return
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or spec.submodule_search_locations is None:
        return
    package = types.ModuleType("tensorflow", "TensorFlow's generated protocol modules only.")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    sys.modules["tensorflow"] = package


def float_tensor(values: np.ndarray, proto: TensorProto) -> None:
    """Fill the ``TensorProto`` ``proto`` with float32 ``values`` (as ``tensor_content``,
    the form TensorFlow's own ``make_tensor_proto`` gives)."""
    array = np.ascontiguousarray(values, dtype="<f4")
    proto.dtype = DT_FLOAT
    del proto.tensor_shape.dim[:]
    for size in array.shape:
        proto.tensor_shape.dim.add().size = size
    proto.tensor_content = array.tobytes()


def float_array(proto: TensorProto) -> np.ndarray:
    """The float32 array a ``TensorProto`` holds, in either of its two encodings
    (``tensor_content`` bytes, or the repeated ``float_val``, one value meaning all)."""
    if proto.dtype != DT_FLOAT:
        raise ValueError(f"expected a float32 tensor, got dtype {proto.dtype}")
    shape = tuple(int(d.size) for d in proto.tensor_shape.dim)
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype="<f4").reshape(shape).copy()
    values = np.asarray(proto.float_val, dtype=np.float32)
    if values.size == 1 and int(np.prod(shape)) != 1:
        return np.full(shape, values[0], dtype=np.float32)
    return values.reshape(shape)

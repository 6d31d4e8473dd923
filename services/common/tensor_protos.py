"""TensorProto <-> NumPy, as ``tf.make_ndarray`` / ``tf.make_tensor_proto`` do, without TensorFlow.

TensorFlow's own converters live in its native library (about 400 MB resident and a second
of start-up once loaded), which neither the activation service nor an inference server
running LiteRT copies (services/inference/runtimes.py) otherwise loads. Only the
generated ``_pb2`` messages are used here; the encodings are TensorFlow's:
``tensor_content`` (little-endian bytes) or the typed repeated field, a short one padded
with its last value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DT_FLOAT = 1
# tensorflow/core/framework/types.proto: DataType -> (NumPy dtype, name, repeated field)
_TYPES: dict[int, tuple[np.dtype[Any], str, str]] = {
    1: (np.dtype("<f4"), "float32", "float_val"),
    2: (np.dtype("<f8"), "float64", "double_val"),
    3: (np.dtype("<i4"), "int32", "int_val"),
    4: (np.dtype("u1"), "uint8", "int_val"),
    5: (np.dtype("<i2"), "int16", "int_val"),
    6: (np.dtype("i1"), "int8", "int_val"),
    7: (np.dtype(object), "string", "string_val"),
    9: (np.dtype("<i8"), "int64", "int64_val"),
    10: (np.dtype("?"), "bool", "bool_val"),
    17: (np.dtype("<u2"), "uint16", "int_val"),
    19: (np.dtype("<f2"), "float16", "half_val"),
    22: (np.dtype("<u4"), "uint32", "uint32_val"),
    23: (np.dtype("<u8"), "uint64", "uint64_val"),
}
_BY_NUMPY = {dtype: number for number, (dtype, _, _) in _TYPES.items() if dtype.kind != "O"}


class TensorConversionError(ValueError):
    """A TensorProto that cannot be read, or an array that cannot be sent."""


def numpy_dtype(data_type: int) -> np.dtype[Any]:
    """The NumPy dtype of a ``DataType`` enum value."""
    if data_type not in _TYPES:
        raise TensorConversionError(f"unsupported dtype {data_type}")
    return _TYPES[data_type][0]


def dtype_name(data_type: int) -> str:
    """TensorFlow's name for a ``DataType`` (``float32``, ``string``, ...)."""
    return _TYPES[data_type][1] if data_type in _TYPES else f"dtype {data_type}"


def array_dtype_name(array: np.ndarray) -> str:
    """TensorFlow's name for an array's dtype, as TF Serving's messages give it."""
    if array.dtype.kind in "OSU":
        return "string"
    number = _BY_NUMPY.get(array.dtype.newbyteorder("<"))
    return dtype_name(number) if number is not None else str(array.dtype)


def float_array(proto: Any) -> np.ndarray:
    """A float32 ``TensorProto`` as an array; any other dtype is an error."""
    if proto.dtype != DT_FLOAT:
        raise TensorConversionError(f"expected a float32 tensor, got {dtype_name(proto.dtype)}")
    return to_ndarray(proto)


def to_ndarray(proto: Any) -> np.ndarray:
    """The array a ``TensorProto`` holds (what ``tf.make_ndarray`` returns)."""
    dtype, _, field = _TYPES.get(proto.dtype, (None, "", ""))
    if dtype is None:
        raise TensorConversionError(f"unsupported dtype {proto.dtype}")
    if proto.tensor_shape.unknown_rank:
        raise TensorConversionError("the tensor's shape has an unknown rank")
    shape = tuple(int(d.size) for d in proto.tensor_shape.dim)
    if any(size < 0 for size in shape):
        raise TensorConversionError(f"negative dimension in shape {list(shape)}")
    count = int(np.prod(shape, dtype=np.int64))
    if proto.tensor_content and dtype.kind != "O":
        if len(proto.tensor_content) != count * dtype.itemsize:
            raise TensorConversionError(
                f"tensor_content has {len(proto.tensor_content)} bytes, "
                f"{count * dtype.itemsize} expected for shape {list(shape)}"
            )
        return np.frombuffer(proto.tensor_content, dtype=dtype).reshape(shape).copy()
    values = getattr(proto, field)
    if field == "half_val":
        flat = np.asarray(values, dtype=np.uint16).view(np.float16)
    elif dtype.kind == "O":
        flat = np.empty(len(values), dtype=object)
        flat[:] = list(values)
    else:
        flat = np.asarray(values, dtype=dtype)
    if flat.size > count:
        raise TensorConversionError(f"{flat.size} values for shape {list(shape)}")
    if flat.size < count:
        if flat.size == 0:
            return np.zeros(shape, dtype=dtype) if dtype.kind != "O" else np.full(shape, b"")
        flat = np.pad(flat, (0, count - flat.size), mode="edge")
    return flat.reshape(shape)


def fill_tensor_proto(array: np.ndarray, proto: Any) -> None:
    """Write ``array`` into an empty ``TensorProto`` (as ``tf.make_tensor_proto`` does)."""
    value = np.asarray(array)
    for size in value.shape:
        proto.tensor_shape.dim.add().size = size
    if value.dtype.kind in "OSU":
        proto.dtype = 7
        proto.string_val.extend(
            item if isinstance(item, bytes) else str(item).encode() for item in value.flat
        )
        return
    little = value.astype(value.dtype.newbyteorder("<"), copy=False)
    number = _BY_NUMPY.get(little.dtype)
    if number is None:
        raise TensorConversionError(f"cannot send an array of dtype {value.dtype}")
    proto.dtype = number
    proto.tensor_content = np.ascontiguousarray(little).tobytes()

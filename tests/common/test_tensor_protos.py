"""Our TensorProto conversions agree with TensorFlow's, and the services that use them
start without importing TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2

from services.common.tensor_protos import (
    TensorConversionError,
    array_dtype_name,
    fill_tensor_proto,
    float_array,
    to_ndarray,
)

DTYPES = [
    np.float32,
    np.float64,
    np.float16,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.bool_,
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(1, 4, 4, 3), (3, 10), (5,), ()])
def test_our_conversion_matches_tensorflows(dtype: type, shape: tuple[int, ...]) -> None:
    values: np.ndarray = (np.random.default_rng(0).normal(size=shape) * 50).astype(dtype)
    ours = tensor_pb2.TensorProto()
    fill_tensor_proto(values, ours)
    np.testing.assert_array_equal(tf.make_ndarray(ours), values)
    theirs = tf.make_tensor_proto(values)
    read = to_ndarray(theirs)
    assert read.dtype == values.dtype and read.shape == values.shape
    np.testing.assert_array_equal(read, values)
    assert array_dtype_name(values) == tf.as_dtype(values.dtype).name


def test_the_typed_fields_are_read_as_tensorflow_reads_them() -> None:
    listed = tensor_pb2.TensorProto(dtype=1, float_val=[1.5, 2.5, 3.5])
    listed.tensor_shape.dim.add().size = 3
    splat = tensor_pb2.TensorProto(dtype=3, int_val=[7, 8])
    splat.tensor_shape.dim.add().size = 4  # a short field is padded with its last value
    half = tensor_pb2.TensorProto(dtype=19, half_val=[np.float16(0.5).view(np.uint16)])
    words = tensor_pb2.TensorProto(dtype=7, string_val=[b"a", b"bc"])
    words.tensor_shape.dim.add().size = 2
    for proto in (listed, splat, half, words):
        np.testing.assert_array_equal(to_ndarray(proto), tf.make_ndarray(proto))


def test_damaged_tensors_are_refused() -> None:
    short = tf.make_tensor_proto(np.zeros((2, 2), np.float32))
    short.tensor_content = short.tensor_content[:-1]
    with pytest.raises(TensorConversionError, match="bytes"):
        to_ndarray(short)
    with pytest.raises(TensorConversionError, match="dtype"):
        to_ndarray(tensor_pb2.TensorProto(dtype=21))  # DT_RESOURCE
    too_many = tensor_pb2.TensorProto(dtype=1, float_val=[1, 2, 3])
    too_many.tensor_shape.dim.add().size = 2
    with pytest.raises(TensorConversionError, match="values"):
        to_ndarray(too_many)
    with pytest.raises(TensorConversionError, match="float32"):
        float_array(tf.make_tensor_proto(np.array([1, 2], dtype=np.int32)))


@pytest.mark.parametrize("service", ["services.activations.server", "services.inference.server"])
def test_the_service_starts_without_importing_tensorflow(service: str) -> None:
    code = (
        "import sys;"
        "from services.common.tensorflow_package import skip_tensorflow_package_init;"
        "skip_tensorflow_package_init();"
        f"import {service};"
        "print(sorted(m for m in sys.modules if m.startswith('tensorflow.python'))[:3])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout

"""The float32 TensorProto conversions of the activation service agree with TensorFlow's."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2

from services.activations.tensorflow_protos import float_array, float_tensor


@pytest.mark.parametrize("shape", [(1, 64, 64, 3), (3, 10), (5,), ()])
def test_our_conversion_matches_tensorflows(shape: tuple[int, ...]) -> None:
    values = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    ours = tensor_pb2.TensorProto()
    float_tensor(values, ours)
    np.testing.assert_array_equal(tf.make_ndarray(ours), values)
    np.testing.assert_array_equal(float_array(tf.make_tensor_proto(values)), values)
    if values.size > 1:  # a scalar TensorFlow writes as float_val; we always as bytes
        assert ours == tf.make_tensor_proto(values)


def test_float_val_encodings_are_read() -> None:
    listed = tf.make_tensor_proto([1.5, 2.5, 3.5], dtype=tf.float32)
    listed.ClearField("tensor_content")
    listed.float_val.extend([1.5, 2.5, 3.5])
    np.testing.assert_array_equal(float_array(listed), [1.5, 2.5, 3.5])
    splat = tensor_pb2.TensorProto(dtype=1, float_val=[7.0])
    splat.tensor_shape.dim.add().size = 4
    np.testing.assert_array_equal(float_array(splat), [7.0] * 4)
    with pytest.raises(ValueError, match="float32"):
        float_array(tf.make_tensor_proto(np.array([1, 2], dtype=np.int32)))


def test_the_activation_service_starts_without_importing_tensorflow() -> None:
    code = (
        "import runpy, sys; sys.argv = ['x'];"
        "from services.activations.tensorflow_protos import skip_tensorflow_package_init;"
        "skip_tensorflow_package_init();"
        "import services.activations.server;"
        "print(sorted(m for m in sys.modules if m.startswith('tensorflow.python'))[:3])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout

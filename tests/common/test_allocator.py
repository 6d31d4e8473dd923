"""glibc's thresholds as the inference server sets them: a Predict's 0.8 MB of buffers are
reused by the next call, not returned to the kernel and faulted in again.

Each case runs in a fresh interpreter (thresholds are per process and cannot be unset),
without TensorFlow, as ``python -m services.inference`` runs. The measure is minor page
faults, which the kernel counts exactly: no timing. Under glibc's defaults whether the real
handler faults depends on the process's allocation history (468 faults a call, or none,
with nothing changed but the length of a path argument), so the contrast with the defaults
is shown on a fixed pattern of the handler's buffer sizes, and the real handler is checked
with the thresholds set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from services.common.paths import DEFAULT_MODEL_BASE_PATH

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="the thresholds are glibc's",
)

START = """
import resource, sys
from services.common.tensorflow_package import skip_tensorflow_package_init
skip_tensorflow_package_init()
from services.common.allocator import keep_large_buffers
applied = keep_large_buffers() if sys.argv[1] == "keep" else None
"""

MEASURE = """
for _ in range(20):
    one_call()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    one_call()
print(applied, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 50)
"""

# Buffers of a 1-image activations answer's sizes (62x62x10 and 60x60x10 float32 maps,
# smaller ones, the serialised response twice), all freed at the end. Not the exact list:
# what matters is that most are over glibc's initial 128 KiB threshold and their sum is
# over its dynamic trim threshold.
BUFFER_PATTERN = """
SIZES = [153_760] * 4 + [144_000] * 2 + [36_000] * 5 + [762_425] * 2
def one_call():
    buffers = [bytearray(size) for size in SIZES]  # zero-filled: every page is touched
    del buffers
"""

REAL_HANDLER = """
from pathlib import Path
import numpy as np
from tensorflow_serving.apis import predict_pb2
from services.common.tensor_protos import fill_tensor_proto
from services.inference.limits import PredictLimits
from services.inference.registry import ModelRegistry
from services.inference.servicer import run_predict
registry = ModelRegistry(Path(sys.argv[2]))
registry.refresh()
servable = registry.get("tiny_vgg", None)
assert servable.runtime.name == "litert", servable.runtime.name  # as in the server
limits = PredictLimits(
    max_batch=8, max_batch_by_signature={}, max_response_bytes=1 << 26, chunk_images=8
)
request = predict_pb2.PredictRequest()
request.model_spec.name = "tiny_vgg"
request.model_spec.signature_name = "activations"
fill_tensor_proto(np.zeros((1, 64, 64, 3), np.float32), request.inputs["input"])
received = request.SerializeToString()
def one_call():  # as the server does: parse the bytes received, answer, serialise
    parsed = predict_pb2.PredictRequest.FromString(received)
    run_predict(servable, parsed, limits).SerializeToString()
"""


def faults_per_call(body: str, mode: str, **environment: str) -> tuple[str, float]:
    """Whether the code set both thresholds, and the page faults of one call of ``body``."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    program = textwrap.dedent(START + body + MEASURE)
    completed = subprocess.run(
        [sys.executable, "-c", program, mode, str(DEFAULT_MODEL_BASE_PATH)],
        env={**inherited, **environment},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    applied, faults = completed.stdout.split()
    return applied, float(faults)


def test_under_the_defaults_freed_buffers_go_back_to_the_kernel() -> None:
    _, faults = faults_per_call(BUFFER_PATTERN, "default")
    assert faults > 100  # 341 measured: the heap top is trimmed after every call


def test_with_the_thresholds_the_buffers_are_reused() -> None:
    applied, faults = faults_per_call(BUFFER_PATTERN, "keep")
    assert applied == "True"
    assert faults < 5  # 0 measured


def test_the_real_handler_faults_nothing_in_with_the_thresholds() -> None:
    applied, faults = faults_per_call(REAL_HANDLER, "keep")
    assert applied == "True"
    assert faults < 20  # 0 measured (468 under the defaults in some processes)


def test_the_environment_wins_over_the_code() -> None:
    small = "131072"
    applied, faults = faults_per_call(
        BUFFER_PATTERN, "keep", MALLOC_MMAP_THRESHOLD_=small, MALLOC_TRIM_THRESHOLD_=small
    )
    assert applied == "False"  # neither was set by the code
    assert faults > 100  # the environment's small thresholds hold

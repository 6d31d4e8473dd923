"""Keep the C allocator from handing every large buffer back to the kernel (glibc only).

A 1-image ``activations`` Predict moves about 0.8 MB through a handful of buffers (the
runtime's outputs, the response's tensors, its serialised bytes). Under glibc's defaults
those buffers are fresh ``mmap``s, or carved from a heap top that ``free`` trims back at
once, so every call page-faults its memory in again: in a process without TensorFlow the
inference handler, called in a loop, took 2.2-2.9 ms a call against 0.53-0.59 ms with the
thresholds below, and Predict through ``scripts/bench_inference.py --separate-process``
3.7-3.8 ms against 1.6-2.4 (docs/sizing.md). TensorFlow's import happens to raise glibc's
dynamic threshold, which is why the benchmark with the server in its own process mostly
hid it.

Fixed thresholds bound what is kept: a buffer over ``MMAP_THRESHOLD`` (a large batch) is
still mapped and unmapped, and a free heap top over ``TRIM_THRESHOLD`` is still returned.
``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` in the environment win, as glibc
documents. Python's standard library has no ``mallopt``, and no maintained package wraps
it, hence ctypes.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

logger = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 4 * 1024 * 1024
TRIM_THRESHOLD = 32 * 1024 * 1024
_SETTINGS = (  # (parameter, value, the environment variable that overrides it)
    (M_MMAP_THRESHOLD, MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_"),
    (M_TRIM_THRESHOLD, TRIM_THRESHOLD, "MALLOC_TRIM_THRESHOLD_"),
)


def keep_large_buffers() -> bool:
    """Set glibc's mmap and trim thresholds for this process; True when both were set here.

    Elsewhere than glibc (macOS, musl) nothing changes: those allocators decide alone.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    applied = 0
    for parameter, value, variable in _SETTINGS:
        if variable in os.environ:
            continue
        if mallopt(parameter, value) == 1:
            applied += 1
        else:
            logger.warning("mallopt(%d, %d) was refused", parameter, value)
    return applied == len(_SETTINGS)

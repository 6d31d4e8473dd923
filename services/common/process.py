"""Tie a process's life to its parent's (Linux ``PR_SET_PDEATHSIG``).

The runner's children (services/supervisor.py) and the gateway's uvicorn workers use it: a
process whose parent is gone can no longer be supervised, and would keep its port from
the parent's replacement.
"""

from __future__ import annotations

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1
# Looked up once, at import: a child between fork and exec may only call it.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def die_with_parent(signal_number: int = signal.SIGTERM) -> None:
    """Have the kernel send ``signal_number`` to this process when its parent dies
    (nothing elsewhere than Linux). Safe between fork and exec: one C call, no locks."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0)

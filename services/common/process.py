"""Tie a process's life to its parent's (Linux ``PR_SET_PDEATHSIG``), and let a process
hold a class's connections (its open-file limit).

The runner's children (services/supervisor.py) and the gateway's and the study's uvicorn
workers use it: a
process whose parent is gone can no longer be supervised, and would keep its port from
the parent's replacement.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import resource
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


def end_with_uvicorn_master() -> None:
    """In a uvicorn worker process (several ``workers``): die with uvicorn's master, or exit
    now if it died while this worker was starting. A master killed outright would otherwise
    leave workers holding the port, and its replacement could not bind it. Nothing happens
    in a process that is not a multiprocessing child (one worker: uvicorn runs the app
    itself)."""
    master = multiprocessing.parent_process()
    if master is not None:
        die_with_parent(signal.SIGKILL)
        if os.getppid() != master.pid:
            os._exit(1)


def raise_open_file_limit() -> None:
    """Raise the soft limit on open files to the hard one, as nginx's worker_rlimit_nofile
    does: a class's browsers keep a connection or two each, well past a 1,024 default. A
    hard limit the kernel will not grant (unlimited) leaves the soft one, with a warning."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        logging.getLogger(__name__).warning("open-file limit kept at %d", soft)

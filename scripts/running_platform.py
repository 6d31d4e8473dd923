"""``cnn101 run`` in a temporary folder, for the benchmarks that need the whole platform.

Private Redis, SQLite, free ports; ``processes()`` reads the supervisor's status
(services/supervisor.py) with each process's pid and state.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Platform:
    base: str
    log_dir: Path

    def processes(self) -> dict[str, dict[str, Any]]:
        status: dict[str, dict[str, Any]] = json.loads(
            (self.log_dir / "processes.json").read_text()
        )
        return status["processes"]


@contextmanager
def running_platform(extra_env: dict[str, str] | None = None) -> Iterator[Platform]:
    """Start ``cnn101 run``, wait until it prints its address, stop it (Ctrl-C) at the end."""
    root = Path(tempfile.mkdtemp(prefix="cnn101-bench-"))
    gateway = free_port()
    env = (
        os.environ
        | {
            "CNN101_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # a private one
            "CNN101_GATEWAY_PORT": str(gateway),
            "CNN101_INFERENCE_PORT": str(free_port()),
            "CNN101_ACTIVATIONS_PORT": str(free_port()),
            "CNN101_EVALUATION_PORT": str(free_port()),
            "CNN101_STUDIO_PORT": str(free_port()),
            "CNN101_LOG_DIR": str(root / "logs"),
            "CNN101_EVALUATION_DATABASE_URL": f"sqlite:///{root / 'study.db'}",
            "CNN101_STUDIO_DATABASE_URL": f"sqlite:///{root / 'study.db'}",
            "CNN101_EVALUATION_SECRET_KEY_FILE": str(root / "secret-key"),
            "CNN101_EVALUATION_BOOTSTRAP_LOGIN_FILE": str(root / "login"),
        }
        | (extra_env or {})
    )
    runner = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert runner.stdout is not None
    try:
        for line in runner.stdout:
            if "CNN 101 is running" in line:
                break
        else:
            raise SystemExit("cnn101 run stopped before it was ready")
        yield Platform(f"http://127.0.0.1:{gateway}", root / "logs")
    finally:
        runner.send_signal(signal.SIGINT)
        runner.wait(timeout=60)

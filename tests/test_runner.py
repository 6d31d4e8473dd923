"""``cnn101 run`` starts the whole platform as processes, reports the URL, stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.runner import service_commands
from tests.serving.stack import free_port


def _closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_run_starts_everything_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    ports = {
        name: free_port()
        for name in ("GATEWAY", "INFERENCE", "ACTIVATIONS", "EVALUATION", "STUDIO")
    }
    env = (
        os.environ
        | {f"CNN101_{name}_PORT": str(port) for name, port in ports.items()}
        | {
            # nothing listens here, so the runner starts a private redis-server
            "CNN101_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "CNN101_LOG_DIR": str(tmp_path / "logs"),
            "CNN101_CACHE_PREFIX": f"runner-{os.getpid()}",
            "CNN101_EVALUATION_DATABASE_URL": f"sqlite:///{tmp_path / 'study.db'}",
            "CNN101_STUDIO_DATABASE_URL": f"sqlite:///{tmp_path / 'study.db'}",
            "CNN101_EVALUATION_SECRET_KEY_FILE": str(tmp_path / "secret-key"),
            "CNN101_EVALUATION_BOOTSTRAP_LOGIN_FILE": str(tmp_path / "login"),
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "CNN 101 is running" in line:
            break
    output = "".join(lines)
    try:
        assert f"http://localhost:{ports['GATEWAY']}/" in output, output
        assert "top-1 on the validation images" in output
        assert "Study dashboard login: instructor@localhost" in output
        # It waited for each service, the worker included, before printing the address.
        for service in ("inference", "activations", "cache", "study", "studio", "worker"):
            assert f"  {service}: healthy" in output, output
        assert output.index("worker: healthy") < output.index("CNN 101 is running")
        base = f"http://127.0.0.1:{ports['GATEWAY']}"
        ready = httpx.get(f"{base}/health/ready", timeout=30).json()
        assert ready["status"] == "ok", ready
        assert len(httpx.get(f"{base}/api/examples", timeout=60).json()["examples"]) == 250
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output + rest
    assert "Stopping" in rest
    for port in ports.values():
        assert _closed(port)


def test_compose_and_kubernetes_run_these_commands() -> None:
    """One list of commands (the compose and manifest tests compare against it)."""
    commands = service_commands("python", "/state")
    assert list(commands) == [
        "inference",
        "activations",
        "worker",
        "model-worker",
        "evaluation",
        "studio",
        "gateway",
    ]
    assert commands["model-worker"][-5:] == [
        "models",
        "--concurrency",
        "1",
        "--hostname",
        "models@%h",
    ]
    assert commands["worker"][-2:] == ["--schedule", "/state/beat-schedule"]
    assert all(command[0] == "python" for command in commands.values())


def test_a_missing_redis_is_explained(tmp_path: Path) -> None:
    """No Redis answering and no redis-server to start: a message saying how to get one."""
    env = os.environ | {
        "CNN101_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "PATH": str(tmp_path),  # redis-server cannot be found
        "CNN101_LOG_DIR": str(tmp_path / "logs"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "redis-server is not installed" in result.stderr
    assert "apt-get install redis-server" in result.stderr


def test_a_missing_data_directory_is_explained(tmp_path: Path) -> None:
    env = os.environ | {"CNN101_DATA_DIR": str(tmp_path / "nowhere")}
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "CNN101_DATA_DIR" in result.stderr

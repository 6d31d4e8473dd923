"""The gateway runs one process per core by default, and its workers end with their master."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from services.gateway.settings import GatewaySettings, default_workers
from tests.process_tree import alive, children, comm
from tests.serving.stack import free_port


def test_the_default_is_one_worker_per_core_at_most_eight() -> None:
    cores = len(os.sched_getaffinity(0))
    assert default_workers() == max(1, min(8, cores))
    assert GatewaySettings().gateway_workers == default_workers()


@pytest.mark.parametrize("when", ["serving", "starting"])
def test_workers_die_with_a_killed_master_and_free_the_port(when: str) -> None:
    """SIGKILL of uvicorn's master (what a crash or the OOM killer does), once the gateway
    serves or while its workers are still importing: its workers follow, so the
    supervisor's replacement can bind the port."""
    port = free_port()
    env = os.environ | {"CNN101_GATEWAY_PORT": str(port), "CNN101_GATEWAY_WORKERS": "2"}
    master = subprocess.Popen(
        [sys.executable, "-m", "services.gateway.app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while time.monotonic() < deadline:
            workers = [p for p in children(master.pid) if alive(p)]
            python_workers = [p for p in workers if "python" in comm(p)]
            if when == "starting" and len(python_workers) >= 2:
                break
            try:
                live = httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2)
                if live.status_code == 200 and len(workers) >= 2:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError(f"the gateway did not start with 2 workers: {workers}")
        python_workers = [p for p in workers if "python" in comm(p)]
        assert len(python_workers) >= 2, workers
        master.send_signal(signal.SIGKILL)
        master.wait(timeout=10)
        # A worker still starting when its master died ends once it finds the master gone.
        deadline = time.monotonic() + 60
        while any(alive(p) for p in python_workers):
            assert time.monotonic() < deadline, "workers outlived their master"
            time.sleep(0.05)
        with socket.socket() as replacement:
            # As uvicorn binds: connections the killed workers had leave TIME_WAIT entries
            # that only SO_REUSEADDR may bind over; a live listener would still refuse it.
            replacement.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            replacement.bind(("127.0.0.1", port))
            replacement.listen()
    finally:
        if master.poll() is None:
            master.kill()
            master.wait()

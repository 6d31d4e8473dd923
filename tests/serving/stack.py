"""Start the real serving stack inside a test: Redis, inference, activation service, gateway.

Every part listens on a free loopback port. Redis is a ``redis-server`` process of the
test's own (not the machine's shared one) so a test can stop and restart it; the gRPC
servers and the gateway run in this process on their own threads and event loops, so a
test can stop and restart them too.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import redis
import uvicorn
from fastapi import FastAPI

from services.runner import redis_command

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


class RedisProcess:
    """A private ``redis-server`` on a free port, stoppable and restartable."""

    def __init__(self, workdir: Path, max_memory: str | None = None) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for the serving tests"
        self.binary = binary
        self.workdir = workdir
        self.max_memory = max_memory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.url_for(0)

    def url_for(self, database: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Run it as ``cnn101 run`` does (services/runner.py): bounded when ``max_memory``."""
        self.process = subprocess.Popen(
            redis_command(self.binary, self.port, self.workdir, self.max_memory),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        wait_until(lambda: bool(client.ping()), "redis answers")
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class LoopThread:
    """An asyncio event loop on a thread, for async servers a sync test drives."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


class GatewayThread:
    """The gateway app under a real uvicorn server on a free port."""

    def __init__(self, app: FastAPI, **options: Any) -> None:
        """``options``: more of uvicorn's settings (such as ``forwarded_allow_ips``)."""
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", **options
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        wait_until(lambda: self.server.started, "the gateway listens")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

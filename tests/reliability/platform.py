"""The whole platform as separate processes, for tests that break its parts.

Each service (inference, activation cache, worker, evaluation, studio, gateway) and a private
``redis-server`` run as child processes on free loopback ports, with the same commands
``cnn101 run`` uses, so a test can ``kill -9`` one and start it again on the same port.
PostgreSQL is the machine's shared server, which a test must not kill: evaluation reaches
it through :class:`TcpProxy`, a proxy the test owns and can cut and restore instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from services.common.paths import PROJECT_ROOT
from services.worker.app import beat_command, worker_command
from tests.serving.stack import free_port, wait_until

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SECRET_KEY = "reliability-test-secret-0123456789abcdef"


class TcpProxy:
    """A loopback TCP proxy to ``target`` that the test can cut (every connection
    dropped, new ones refused) and restore, standing in for a database going away."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = False

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._cut = False
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Reset every open connection, and every new one until :meth:`restore`. The port
        stays bound (closing it let another process take it before the restore)."""
        with self._lock:
            self._cut = True
            for connection in self._connections:
                _close(connection)
            self._connections.clear()

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                cut = self._cut
            if cut:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._cut:  # cut while connecting
                    _close(client)
                    _close(upstream)
                    continue
                self._connections.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._connections.discard(source)
                self._connections.discard(sink)
            _close(source)
            _close(sink)


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()


def create_database() -> str:
    """A fresh PostgreSQL database on the shared server; its name."""
    name = f"cnn101_reliability_{secrets.token_hex(6)}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class ProcessPlatform:
    """Every service as a process; ``kill``/``start`` one by name."""

    root: Path
    data_dir: Path
    model_source: Path  # a SavedModel version folder, served as version 1
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    database: str = ""
    proxy: TcpProxy | None = None

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def evaluation_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['evaluation']}"

    @property
    def studio_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['studio']}"

    @property
    def database_url(self) -> str:
        """The study database, directly (not through the proxy), for checking what is stored."""
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.database}"

    @property
    def model_base_path(self) -> Path:
        return self.root / "models"

    def add_model_version(self, version: int) -> None:
        """Publish another version of the served model, as a training run would."""
        staging = self.root / f"staging-{version}"
        shutil.copytree(self.model_source, staging)
        staging.rename(self.model_base_path / "tiny_vgg" / str(version))

    def commands(self) -> dict[str, list[str]]:
        python = sys.executable
        return {
            "redis": [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.ports["redis"]),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            "inference": [python, "-m", "services.inference"],
            "activations": [python, "-m", "services.activations"],
            "worker": worker_command(python),
            "beat": beat_command(python, str(self.root / "beat-schedule")),
            "evaluation": [python, "-m", "evaluation.app"],
            "studio": [python, "-m", "services.studio.app"],
            "gateway": [python, "-m", "services.gateway.app"],
        }

    def boot(self) -> None:
        """Start every part and wait until the gateway says ready."""
        (self.model_base_path / "tiny_vgg").mkdir(parents=True)
        shutil.copytree(self.model_source, self.model_base_path / "tiny_vgg" / "1")
        for name in ("redis", "inference", "activations", "evaluation", "studio", "gateway"):
            self.ports[name] = free_port()
        self.database = create_database()
        self.proxy = TcpProxy(("127.0.0.1", 5432))
        self.proxy.start()
        redis_url = f"redis://127.0.0.1:{self.ports['redis']}"
        proxied_database = (
            f"postgresql+psycopg://postgres@127.0.0.1:{self.proxy.port}/{self.database}"
        )
        self.env = dict(os.environ) | {
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "CUDA_VISIBLE_DEVICES": "",
            "CNN101_REDIS_URL": f"{redis_url}/0",
            "CNN101_BROKER_URL": f"{redis_url}/1",
            "CNN101_RESULT_BACKEND": f"{redis_url}/1",
            "CNN101_CACHE_PREFIX": f"reliability-{secrets.token_hex(4)}",
            "CNN101_CACHE_MAX_MEMORY": "256mb",
            "CNN101_MODEL_BASE_PATH": str(self.model_base_path),
            "CNN101_DATA_DIR": str(self.data_dir),
            "CNN101_INFERENCE_PORT": str(self.ports["inference"]),
            "CNN101_INFERENCE_POLL_SECONDS": "0.5",
            "CNN101_INFERENCE_WORKERS": "4",
            "CNN101_INFERENCE_TARGET": f"127.0.0.1:{self.ports['inference']}",
            "CNN101_ACTIVATIONS_PORT": str(self.ports["activations"]),
            "CNN101_ACTIVATIONS_TARGET": f"127.0.0.1:{self.ports['activations']}",
            "CNN101_ACTIVATIONS_TIMEOUT_SECONDS": "5",
            "CNN101_GATEWAY_PORT": str(self.ports["gateway"]),
            "CNN101_MAX_UPLOAD_BYTES": str(2 * 1024 * 1024),
            "CNN101_MAX_UPLOAD_PIXELS": "4000000",
            "CNN101_SPA_DIR": str(self.root / "no-spa"),
            "CNN101_RETRY_AFTER_SECONDS": "2",
            # The access walk and the fuzzers play a whole school from one address.
            "CNN101_RATE_LIMIT_SCALE": "50",
            "CNN101_VERSION_WATCH_SECONDS": "1",
            # The platform's own rendered examples, shared by its worker and gateway only.
            "CNN101_STATIC_ROOT": str(self.root / "static"),
            "CNN101_EVALUATION_PORT": str(self.ports["evaluation"]),
            "CNN101_EVALUATION_URL": self.evaluation_url,
            "CNN101_EVALUATION_TIMEOUT_SECONDS": "5",
            "CNN101_EVALUATION_DATABASE_URL": proxied_database,
            "CNN101_STUDIO_PORT": str(self.ports["studio"]),
            "CNN101_STUDIO_URL": self.studio_url,
            "CNN101_STUDIO_DATABASE_URL": proxied_database,
            "CNN101_EVALUATION_SECRET_KEY": SECRET_KEY,
            "CNN101_EVALUATION_BOOTSTRAP_INSTRUCTOR": "",
        }
        for name in (
            "redis",
            "inference",
            "activations",
            "worker",
            "beat",
            "evaluation",
            "studio",
            "gateway",
        ):
            self.start(name)
        self.wait_ready(timeout=180)

    def start(self, name: str) -> None:
        log = (self.root / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            self.commands()[name],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
            start_new_session=True,
        )
        log.close()

    def kill(self, name: str) -> None:
        """SIGKILL the part and everything it started (Celery's pool, uvicorn's workers)."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def ready(self) -> bool:
        try:
            response = httpx.get(f"{self.gateway_url}/health/ready", timeout=3)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.json()["status"] == "ok"

    def wait_ready(self, timeout: float = 60) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} exited:\n{self.tail(name)}"
        wait_until(self.ready, "the platform is ready", timeout=timeout)

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.root / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.root.glob("*.log"))

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.kill(name)
        if self.proxy is not None:
            self.proxy.cut()
        if self.database:
            drop_database(self.database)

    def seconds_until(self, what: str, check: Callable[[], bool], timeout: float = 30) -> float:
        """Seconds until ``check()`` is true."""
        started = time.monotonic()
        wait_until(check, what, timeout=timeout)
        return time.monotonic() - started

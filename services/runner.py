"""Run the whole platform as local processes: ``cnn101 run`` (and so ``make run``).

Starts the inference service, the activation-cache service, the Celery worker, the model
studio's worker (training and imports on the ``models`` queue), the evaluation (study)
service, the model-studio service and the gateway with embedded defaults, using the local
Redis (or one it starts when only ``redis-server`` is installed); waits until each is healthy;
prints the address a student opens; and on Ctrl-C (or SIGTERM) stops every process it
started. A missing prerequisite is reported with what to do about it, never with a
traceback. ``service_commands`` is the one list of commands: the compose file and the
Kubernetes manifests run exactly these (``tests/test_compose.py``, ``tests/infra``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import urlparse

from services.common.paths import PROJECT_ROOT
from services.pipeline.settings import PipelineSettings
from services.worker.app import model_worker_command, worker_command

READY_TIMEOUT_SECONDS = 180.0
STOP_GRACE_SECONDS = 10.0


class PrerequisiteError(RuntimeError):
    """Something the platform needs is missing; the message says how to get it."""


@dataclass
class Supervisor:
    """The child processes, their logs, and how to stop them all."""

    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # The environment the services were started with (set by start_services).
    env: dict[str, str] = field(default_factory=dict)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
            start_new_session=True,
        )

    def exited(self) -> str | None:
        """The name of a child that has exited, if any."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None

    def tail(self, name: str, lines: int = 15) -> str:
        text = (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        """SIGTERM everything (newest first), then SIGKILL what outlives the grace period."""
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _redis_url(supervisor: Supervisor, env: dict[str, str]) -> str:
    """The configured Redis if it answers, else a private ``redis-server`` we start."""
    url = env.get("CNN101_REDIS_URL", "redis://127.0.0.1:6379/0")
    parsed = urlparse(url)
    if _port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        return url
    binary = shutil.which("redis-server")
    if binary is None:
        raise PrerequisiteError(
            f"No Redis answers at {url}, and redis-server is not installed. Install it "
            "(Debian/Ubuntu: `sudo apt-get install redis-server`) or set CNN101_REDIS_URL."
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    supervisor.start(
        "redis",
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(supervisor.log_dir),
        ],
        env,
    )
    deadline = time.monotonic() + 10
    while not _port_open("127.0.0.1", port):
        if time.monotonic() > deadline:
            raise PrerequisiteError("redis-server did not start: see its log.")
        time.sleep(0.1)
    return f"redis://127.0.0.1:{port}/0"


def _check_model(settings: PipelineSettings) -> str:
    """A line naming the default model and its accuracy; an error when there is none."""
    model_dir = settings.model_base_path / settings.model_name
    versions = (
        sorted(int(p.name) for p in model_dir.glob("*") if p.name.isdigit() and p.is_dir())
        if model_dir.is_dir()
        else []
    )
    if not versions:
        raise PrerequisiteError(
            f"No trained model in {model_dir}. Train one with `cnn101 train` (about 12 minutes)."
        )
    description = json.loads(
        (model_dir / str(versions[-1]) / "assets.extra" / "model.json").read_text()
    )
    accuracy = description.get("training", {}).get("best_val_accuracy")
    shown = f"{accuracy:.1%} top-1 on the validation images" if accuracy else "accuracy unknown"
    return f"Model {settings.model_name} version {versions[-1]}: {shown}."


def _development_login() -> str | None:
    """The development instructor's e-mail and password, from the file (mode 0600) the study
    service wrote on its first start; never from a log."""
    from evaluation.settings import EvaluationSettings

    path = EvaluationSettings().evaluation_bootstrap_login_file
    try:
        email, password = path.read_text(encoding="utf-8").split()[:2]
    except (OSError, ValueError):
        return None
    return f"{email} / {password} (kept in {path})"


def _readiness(url: str) -> dict[str, str]:
    """The gateway's per-downstream checks, empty while it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:  # 503 while a downstream is down: same body
        try:
            body = json.load(error)
        except ValueError:
            return {}
    except (urllib.error.URLError, OSError, ValueError):
        return {}
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    return {str(name): str(state) for name, state in checks.items()}


def _worker_answers(broker_url: str) -> bool:
    """A Celery worker answers a ping on the broker."""
    from services.worker.app import create_celery
    from services.worker.settings import WorkerSettings

    app = create_celery(WorkerSettings(broker_url=broker_url, result_backend=broker_url))
    try:
        return bool(app.control.ping(timeout=1.0))
    finally:
        app.close()


def wait_ready(
    supervisor: Supervisor,
    url: str,
    broker_url: str | None = None,
    report: bool = False,
) -> None:
    """Wait until the gateway reports every downstream ``ok`` (and the worker answers).

    The gateway's readiness checks the activation service, the cache (Redis), inference
    and the study and studio services; ``broker_url`` adds a ping of the Celery worker. ``report``
    prints each service as it becomes healthy.
    """
    expected = ["inference", "activations", "cache", "study", "studio"]
    expected += ["worker"] if broker_url is not None else []
    healthy: set[str] = set()
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        crashed = supervisor.exited()
        if crashed:
            raise PrerequisiteError(
                f"The {crashed} service stopped while starting. Its log ends with:\n"
                + supervisor.tail(crashed)
            )
        checks = _readiness(url)
        if broker_url is not None and "worker" not in healthy and _worker_answers(broker_url):
            checks["worker"] = "ok"
        for name in expected:
            if name not in healthy and checks.get(name) == "ok":
                healthy.add(name)
                if report:
                    print(f"  {name}: healthy", flush=True)
        if healthy == set(expected):
            return
        time.sleep(0.5)
    waiting = ", ".join(name for name in expected if name not in healthy)
    raise PrerequisiteError(
        f"The platform was not ready after {READY_TIMEOUT_SECONDS:.0f} s (not healthy: "
        f"{waiting}). The logs are in {supervisor.log_dir}."
    )


def service_commands(python: str, state_dir: str) -> dict[str, list[str]]:
    """Each service's command, in start order; ``state_dir`` holds the beat schedule."""
    return {
        "inference": [python, "-m", "services.inference.server"],
        "activations": [python, "-m", "services.activations.server"],
        "worker": worker_command(python, f"{state_dir}/beat-schedule"),
        # Training and imports (minutes, TensorFlow): a process of their own (docs/models.md).
        "model-worker": model_worker_command(python),
        "evaluation": [python, "-m", "evaluation.app"],
        "studio": [python, "-m", "services.studio.app"],
        "gateway": [python, "-m", "services.gateway.app"],
    }


def start_services(supervisor: Supervisor, log_dir: Path) -> str:
    """Start every service with embedded defaults; return the gateway's port."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    env["CNN101_REDIS_URL"] = _redis_url(supervisor, env)
    redis_base = env["CNN101_REDIS_URL"].rsplit("/", 1)[0]
    env.setdefault("CNN101_BROKER_URL", f"{redis_base}/1")
    env.setdefault("CNN101_RESULT_BACKEND", f"{redis_base}/1")
    env.setdefault("CNN101_CACHE_MAX_MEMORY", "512mb")
    inference_port = env.setdefault("CNN101_INFERENCE_PORT", "8500")
    activations_port = env.setdefault("CNN101_ACTIVATIONS_PORT", "8510")
    env.setdefault("CNN101_INFERENCE_TARGET", f"127.0.0.1:{inference_port}")
    env.setdefault("CNN101_ACTIVATIONS_TARGET", f"127.0.0.1:{activations_port}")
    port = env.setdefault("CNN101_GATEWAY_PORT", "8000")
    evaluation_port = env.setdefault("CNN101_EVALUATION_PORT", "8001")
    env.setdefault("CNN101_EVALUATION_URL", f"http://127.0.0.1:{evaluation_port}")
    studio_port = env.setdefault("CNN101_STUDIO_PORT", "8002")
    env.setdefault("CNN101_STUDIO_URL", f"http://127.0.0.1:{studio_port}")
    for name, command in service_commands(sys.executable, str(log_dir)).items():
        supervisor.start(name, command, env)
    supervisor.env = env
    return port


def run_platform() -> int:
    """Start everything, wait until ready, then supervise until interrupted."""
    settings = PipelineSettings()
    from services.pipeline.data import DataDirectoryError, check_data_dir

    try:
        check_data_dir(settings.data_dir)
    except DataDirectoryError as error:
        raise PrerequisiteError(str(error)) from error
    print(_check_model(settings), flush=True)
    spa_dir = Path(os.environ.get("CNN101_SPA_DIR") or PROJECT_ROOT / "frontend" / "dist")
    if not (spa_dir / "index.html").is_file():
        print(
            f"Warning: no explorer build in {spa_dir}; students would see a notice instead. "
            "Build it with `make frontend` (or set CNN101_SPA_DIR).",
            flush=True,
        )

    log_dir = Path(os.environ.get("CNN101_LOG_DIR") or tempfile.mkdtemp(prefix="cnn101-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(log_dir)
    stopping = False
    ready = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if not ready:
            raise KeyboardInterrupt  # leave the start-up wait at once

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        port = start_services(supervisor, log_dir)
        print(f"Starting services (logs in {log_dir}) ...", flush=True)
        wait_ready(
            supervisor,
            f"http://127.0.0.1:{port}/health/ready",
            broker_url=supervisor.env["CNN101_BROKER_URL"],
            report=True,
        )
        ready = True
        login = _development_login()
        if login:
            print(f"Study dashboard login: {login}")
        host = os.environ.get("CNN101_GATEWAY_HOST", "127.0.0.1")
        shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
        print(
            f"CNN 101 is running: open http://{shown_host}:{port}/  (Ctrl-C stops it)", flush=True
        )
        while not stopping:
            crashed = supervisor.exited()
            if crashed:
                print(
                    f"The {crashed} service stopped:\n{supervisor.tail(crashed)}", file=sys.stderr
                )
                return 1
            time.sleep(0.5)
        print("Stopping ...", flush=True)
        return 0
    except KeyboardInterrupt:
        print("Stopping ...", flush=True)
        return 0
    finally:
        supervisor.stop()

"""Run the whole platform as local processes: ``cnn101 run`` (and so ``make run``).

Starts the inference service, the activation-cache service, the Celery worker and its
scheduler (beat), the model studio's worker (training and imports on the ``models``
queue), the evaluation (study) service, the model-studio service and the gateway with
embedded defaults; waits until each is healthy; prints the address a student opens; keeps
them running (services/supervisor.py restarts a service that dies or stops answering its
liveness check, and gives up only on a crash loop); and on Ctrl-C (or SIGTERM) stops every
process it started. A missing prerequisite is reported with what to do about it, never
with a traceback.

Two Redis: the state Redis (the broker, the presenter mode, rate limits; no eviction) is
``CNN101_REDIS_URL`` when it answers, else a private ``redis-server`` it starts; the cache's
Redis is ``CNN101_CACHE_REDIS_URL``, else a private ``redis-server`` bounded on its command
line (``CNN101_CACHE_MAX_MEMORY``, ``allkeys-lru``), so a restart keeps the bound.

``service_commands`` is the one list of commands: the compose file and the Kubernetes
manifests run exactly these (``tests/test_compose.py``, ``tests/infra``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from urllib.parse import urlparse

from services.common.paths import PROJECT_ROOT
from services.pipeline.settings import PipelineSettings
from services.supervisor import CrashLoopError, Probe, Supervisor
from services.worker.app import beat_command, model_worker_command, worker_command

READY_TIMEOUT_SECONDS = 180.0
PROBE_TIMEOUT_SECONDS = 3.0
# Inference processes sharing one port (gRPC servers bind with SO_REUSEPORT): when one
# dies, the activation service reconnects to the other within a second, instead of waiting
# the 10-20 s a new process needs to import TensorFlow and load the model. Each costs its
# memory (about 0.5 GB), not CPU: one channel's calls all go to one of them.
DEFAULT_INFERENCE_REPLICAS = 2
# Study processes on a machine with two cores or more: a class's quiz answers need more
# than one core, and on SQLite the writers queue fairly across processes
# (services/database/sqlite_writes.py). 700 students on 2 cores: study p95 1,146 ms with
# one process, 482 ms with two (docs/sizing.md).
MAX_DEFAULT_STUDY_WORKERS = 2


class PrerequisiteError(RuntimeError):
    """Something the platform needs is missing; the message says how to get it."""


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def redis_command(binary: str, port: int, folder: Path, max_memory: str | None) -> list[str]:
    """A private ``redis-server``: nothing persisted; with ``max_memory``, a cache that
    evicts the least recently used keys beyond it (the bound is on the command line, so a
    restart keeps it); without, a store that never evicts (the broker's queued tasks)."""
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(folder)]
    if max_memory:
        return [*command, "--maxmemory", max_memory, "--maxmemory-policy", "allkeys-lru"]
    return [*command, "--maxmemory-policy", "noeviction"]


def _start_redis(
    supervisor: Supervisor, name: str, env: dict[str, str], max_memory: str | None
) -> str:
    binary = shutil.which("redis-server")
    assert binary is not None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = redis_command(binary, port, supervisor.log_dir, max_memory)
    supervisor.start(name, command, env, probe=lambda: _port_open("127.0.0.1", port))
    deadline = time.monotonic() + 10
    while not _port_open("127.0.0.1", port):
        if time.monotonic() > deadline:
            raise PrerequisiteError(f"redis-server did not start: see {name}.log.")
        time.sleep(0.1)
    return f"redis://127.0.0.1:{port}/0"


def _redis_url(supervisor: Supervisor, env: dict[str, str]) -> str:
    """The state Redis: the configured one if it answers, else a private one we start."""
    url = env.get("CNN101_REDIS_URL", "redis://127.0.0.1:6379/0")
    parsed = urlparse(url)
    if _port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        return url
    if shutil.which("redis-server") is None:
        raise PrerequisiteError(
            f"No Redis answers at {url}, and redis-server is not installed. Install it "
            "(Debian/Ubuntu: `sudo apt-get install redis-server`) or set CNN101_REDIS_URL."
        )
    return _start_redis(supervisor, "redis", env, max_memory=None)


def _cache_redis_url(supervisor: Supervisor, env: dict[str, str]) -> str | None:
    """The cache's own Redis: the configured one, else a private bounded one we start; None
    (the cache shares the state Redis, bounded by expiry only) without redis-server."""
    if env.get("CNN101_CACHE_REDIS_URL"):
        return env["CNN101_CACHE_REDIS_URL"]
    if shutil.which("redis-server") is None:
        print(
            "Warning: redis-server is not installed, so the activation cache shares the "
            "state Redis (bounded only by its entries' expiry).",
            flush=True,
        )
        return None
    max_memory = env.get("CNN101_CACHE_MAX_MEMORY") or "512mb"
    return _start_redis(supervisor, "cache-redis", env, max_memory)


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
    training = description.get("training", {})
    accuracy, selection = training.get("accuracy"), training.get("best_val_accuracy")
    if accuracy:
        shown = f"{accuracy:.1%} top-1 on its held-out images"
    elif selection:
        shown = f"{selection:.1%} top-1 on the selection images"
    else:
        shown = "accuracy unknown"
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
    worker_answers = _celery_answers(broker_url, "celery") if broker_url is not None else None
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
        if worker_answers is not None and "worker" not in healthy and worker_answers():
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
        "inference": [python, "-m", "services.inference"],
        "activations": [python, "-m", "services.activations"],
        "worker": worker_command(python),
        "beat": beat_command(python, f"{state_dir}/beat-schedule"),
        # Training and imports (minutes, TensorFlow): a process of their own (docs/models.md).
        "model-worker": model_worker_command(python),
        "evaluation": [python, "-m", "evaluation.app"],
        "studio": [python, "-m", "services.studio.app"],
        "gateway": [python, "-m", "services.gateway.app"],
    }


def _grpc_serving(target: str) -> Probe:
    def probe() -> bool:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        with grpc.insecure_channel(target) as channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=PROBE_TIMEOUT_SECONDS
            )
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

    return probe


def _http_answers(url: str) -> Probe:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_SECONDS) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    return probe


def _celery_answers(broker_url: str, worker: str) -> Probe:
    """The Celery worker called ``worker@<this host>`` answers a ping. Asked by name, with
    a limit of one reply, the ping returns when the worker answers instead of waiting out
    its timeout (a broadcast collects replies until then): a restarted worker is seen as up
    as soon as it is."""
    destination = f"{worker}@{socket.gethostname()}"

    def probe() -> bool:
        from services.worker.app import create_celery
        from services.worker.settings import WorkerSettings

        app = create_celery(WorkerSettings(broker_url=broker_url, result_backend=broker_url))
        try:
            replies = app.control.ping(
                destination=[destination], limit=1, timeout=PROBE_TIMEOUT_SECONDS
            )
        finally:
            app.close()
        return any(destination in reply for reply in replies)

    return probe


def _beat_ticks(schedule_file: str) -> Probe:
    from services.worker.beat import is_alive

    return lambda: is_alive(schedule_file)


def liveness_probes(env: dict[str, str], state_dir: str) -> dict[str, Probe]:
    """How the supervisor tells that each service still works (not only that it runs);
    inference replicas are asked on their own sockets (:func:`start_services`)."""
    broker = env["CNN101_BROKER_URL"]
    return {
        "activations": _grpc_serving(env["CNN101_ACTIVATIONS_TARGET"]),
        "worker": _celery_answers(broker, "celery"),
        "beat": _beat_ticks(f"{state_dir}/beat-schedule"),
        "model-worker": _celery_answers(broker, "models"),
        "evaluation": _http_answers(f"{env['CNN101_EVALUATION_URL']}/health"),
        "studio": _http_answers(f"{env['CNN101_STUDIO_URL']}/health"),
        "gateway": _http_answers(f"http://127.0.0.1:{env['CNN101_GATEWAY_PORT']}/health/live"),
    }


def set_study_processes(env: dict[str, str], redis_base: str) -> None:
    """Several study processes, counting failed logins in the platform's Redis (database 2),
    unless the environment chose the count or a per-process store."""
    env.setdefault("CNN101_EVALUATION_LIMITS_STORAGE", f"{redis_base}/2")
    if env["CNN101_EVALUATION_LIMITS_STORAGE"].startswith("memory"):
        return
    cores = len(os.sched_getaffinity(0))
    env.setdefault("CNN101_EVALUATION_WORKERS", str(max(1, min(MAX_DEFAULT_STUDY_WORKERS, cores))))


def start_services(supervisor: Supervisor, log_dir: Path) -> str:
    """Start every service with embedded defaults; return the gateway's port."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    env["CNN101_REDIS_URL"] = _redis_url(supervisor, env)
    redis_base = env["CNN101_REDIS_URL"].rsplit("/", 1)[0]
    env.setdefault("CNN101_BROKER_URL", f"{redis_base}/1")
    env.setdefault("CNN101_RESULT_BACKEND", f"{redis_base}/1")
    set_study_processes(env, redis_base)
    cache_url = _cache_redis_url(supervisor, env)
    if cache_url:
        env["CNN101_CACHE_REDIS_URL"] = cache_url
    inference_port = env.setdefault("CNN101_INFERENCE_PORT", "8500")
    activations_port = env.setdefault("CNN101_ACTIVATIONS_PORT", "8510")
    env.setdefault("CNN101_INFERENCE_TARGET", f"127.0.0.1:{inference_port}")
    env.setdefault("CNN101_ACTIVATIONS_TARGET", f"127.0.0.1:{activations_port}")
    port = env.setdefault("CNN101_GATEWAY_PORT", "8000")
    evaluation_port = env.setdefault("CNN101_EVALUATION_PORT", "8001")
    env.setdefault("CNN101_EVALUATION_URL", f"http://127.0.0.1:{evaluation_port}")
    studio_port = env.setdefault("CNN101_STUDIO_PORT", "8002")
    env.setdefault("CNN101_STUDIO_URL", f"http://127.0.0.1:{studio_port}")
    env["CNN101_SUPERVISOR_STATUS_FILE"] = str(supervisor.status_file)
    probes = liveness_probes(env, str(log_dir))
    replicas = int(env.get("CNN101_INFERENCE_REPLICAS") or DEFAULT_INFERENCE_REPLICAS)
    for name, command in service_commands(sys.executable, str(log_dir)).items():
        if name != "inference":
            supervisor.start(name, command, env, probe=probes[name])
            continue
        for replica in range(1, replicas + 1):
            # Each replica also listens on a socket of its own, so its liveness check
            # reaches it and not whichever process the shared port hands the call to.
            private = f"unix:{log_dir}/inference-{replica}.sock"
            own_env = env | {"CNN101_INFERENCE_PRIVATE_ADDRESS": private}
            child = name if replica == 1 else f"{name}-{replica}"
            supervisor.start(child, command, own_env, probe=_grpc_serving(private))
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
            try:
                for event in supervisor.check():
                    print(event, file=sys.stderr, flush=True)
            except CrashLoopError as error:
                name = error.child.name
                print(f"{error} Its log ends with:\n{supervisor.tail(name)}", file=sys.stderr)
                return 1
            time.sleep(0.25)
        print("Stopping ...", flush=True)
        return 0
    except KeyboardInterrupt:
        print("Stopping ...", flush=True)
        return 0
    finally:
        supervisor.stop()

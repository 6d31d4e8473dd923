"""A class on one machine: simulated students over the real HTTP flow, and how many it holds.

Starts the platform as processes (``services/runner.py``: a private Redis, the study on
SQLite or ``--database-url``, free ports) unless ``--url`` names a running one, creates an
instructor and, per stage, an open study. Then N students arrive over ``--ramp`` seconds
and each does what the SPA does, with think times between steps:

1. opens the join link (``study.html`` and its assets), joins, consents, takes the
   pre-test (13 items, one answer at a time, as the study page sends them);
2. is assigned a condition and, in the learning phase, opens the explorer (``index.html``
   and its assets, the model list and description, the examples, the thumbnails of a
   class), then until the learning time is over switches among examples (their cached
   activation bundles), opens views (the weights, once), changes class (thumbnails),
   uploads a picture of its own once (uncached: inference), and sends interaction events;
3. takes the post-test, answers the questionnaire and reads its outcome.

Every simulated student explores, as in a class without a study (the conventional
condition would send fewer requests). The latencies are kept per request type and printed
as p50/p95/p99 with the error count (any status >= 400, refused connection or timeout).

Stages grow from ``--start`` by ``--step`` students until one fails (p95 of cached
activations above ``--p95-limit-ms``, p95 of the study's answers, phase starts and finishes
and assignments above ``--study-p95-limit-ms``, or any error), then bisect between the last pass and
the first failure down to ``--resolution``: the largest passing N is the class this
machine holds.

With ``--proxy`` the students reach the platform through nginx running the shipped site
file (infra/nginx/cnn101.conf, ``services/common/nginx_site.py``): the rendered example
files and the SPA's scripts and styles come from disk, a student's study requests (but the
join) go straight to the study service, the rest goes to the gateway. ``--gateway-replicas
N`` runs N gateway processes on ports of their own behind it, as the Kubernetes manifests
scale the gateway (``--gateway-workers`` is then each replica's worker count).

The client shares the machine with the server. It is ``--client-processes`` asyncio
processes (aiohttp, chosen for its low CPU per request); each stage prints the CPU it used
(client) next to the platform's processes (server) and the rest of the machine (other),
and the event loop's own lag, which is the part of a measured latency that is the
client's doing. Figures, not assertions.

This file starts the platform and searches for the class size; what one student does is in
``loadtest_student.py`` beside it, one stage (a class of N, measured) in ``loadtest_stage.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from loadtest_stage import INSTRUCTOR, discover_site, report, run_stage
from loadtest_student import Site

from services.common import nginx_site
from services.common.paths import DEFAULT_STATIC_ROOT
from services.common.process import raise_open_file_limit
from services.runner import service_commands, start_services, wait_ready
from services.supervisor import Supervisor

# nginx when --proxy: not one of the supervisor's services, stopped at the end.
PROXIES: list[subprocess.Popen[bytes]] = []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_platform(args: argparse.Namespace, log_dir: Path, supervisor: Supervisor) -> str:
    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        raise SystemExit("redis-server is needed (apt-get install redis-server)")
    redis_port, gateway_port = _free_port(), _free_port()
    database = args.database_url or f"sqlite:///{log_dir / 'study.db'}"
    workers = {"CNN101_GATEWAY_WORKERS": str(args.gateway_workers)} if args.gateway_workers else {}
    if args.study_workers:  # else as make run: one per core, at most 2 (services/runner.py)
        workers |= {"CNN101_EVALUATION_WORKERS": str(args.study_workers)}
    os.environ.update(
        {
            "CNN101_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CNN101_INFERENCE_PORT": str(_free_port()),
            "CNN101_ACTIVATIONS_PORT": str(_free_port()),
            "CNN101_GATEWAY_PORT": str(gateway_port),
            "CNN101_EVALUATION_PORT": str(_free_port()),
            "CNN101_STUDIO_PORT": str(_free_port()),
            # One address plays a whole class: the per-client limits would count it as one.
            "CNN101_RATE_LIMIT_SCALE": "0",
            "CNN101_EVALUATION_DATABASE_URL": database,
            # As make run: the study's processes count failed logins in the platform's Redis
            # (a --study-workers above 1 needs it before the first command runs).
            "CNN101_EVALUATION_LIMITS_STORAGE": f"redis://127.0.0.1:{redis_port}/2",
            "CNN101_EVALUATION_BOOTSTRAP_INSTRUCTOR": "",
            **workers,
            "CNN101_CACHE_PREFIX": "loadtest",
        }
    )
    # The instructor account the stages log in with (the study's own command line).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "evaluation.cli",
            "create-instructor",
            "--email",
            INSTRUCTOR[0],
            "--password-stdin",
        ],
        input=INSTRUCTOR[1] + "\n",
        text=True,
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    supervisor.start(
        "redis",
        [
            redis_binary,
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(log_dir),
        ],
        dict(os.environ),
    )
    time.sleep(0.5)
    start_services(supervisor, log_dir)
    url = f"http://127.0.0.1:{gateway_port}"
    wait_ready(supervisor, f"{url}/health/ready")
    if not args.proxy and args.gateway_replicas == 1:
        return url
    return _start_proxy(args, log_dir, supervisor, gateway_port)


def _start_proxy(
    args: argparse.Namespace, log_dir: Path, supervisor: Supervisor, gateway_port: int
) -> str:
    """The other gateway replicas on ports of their own, and nginx in front of them all."""
    ports = [gateway_port]
    command = service_commands(sys.executable, str(log_dir))["gateway"]
    for replica in range(2, args.gateway_replicas + 1):
        port = _free_port()
        supervisor.start(
            f"gateway-{replica}", command, supervisor.env | {"CNN101_GATEWAY_PORT": str(port)}
        )
        wait_ready(supervisor, f"http://127.0.0.1:{port}/health/ready")
        ports.append(port)
    proxy_port = _free_port()
    static_root = Path(supervisor.env.get("CNN101_STATIC_ROOT") or DEFAULT_STATIC_ROOT)
    study_port = int(supervisor.env["CNN101_EVALUATION_PORT"])
    config = nginx_site.write_config(
        log_dir / "nginx", proxy_port, ports, static_root, study_port=study_port
    )
    checked = nginx_site.check_config(config)
    if checked.returncode != 0:
        raise SystemExit(f"nginx -t failed: {checked.stderr}")
    PROXIES.append(nginx_site.start(config, proxy_port))
    return f"http://127.0.0.1:{proxy_port}"


def stage(
    base: str, site: Site, n: int, args: argparse.Namespace, server_pids: dict[str, int]
) -> bool:
    stats, usage, cpu_rows = run_stage(base, site, n, args, server_pids)
    passed = report(
        n,
        stats,
        usage,
        cpu_rows,
        limit_ms=args.p95_limit_ms,
        study_limit_ms=args.study_p95_limit_ms,
    )
    time.sleep(3)  # let the platform settle between classes
    return passed


def search(run: Callable[[int], bool], args: argparse.Namespace) -> dict[int, bool]:
    """The given N only, or grow by ``--step`` until a failure, then bisect."""
    results: dict[int, bool] = {}
    if args.students:
        for n in args.students:
            results[n] = run(n)
        return results
    n, passed_n, failed_n = args.start, 0, None
    while n <= args.max:
        results[n] = run(n)
        if not results[n]:
            failed_n = n
            break
        passed_n, n = n, n + args.step
    while failed_n is not None and failed_n - passed_n > args.resolution:
        middle = (passed_n + failed_n) // 2
        results[middle] = run(middle)
        if results[middle]:
            passed_n = middle
        else:
            failed_n = middle
    print(
        f"\nlargest class held (p95 of cached activations <= {args.p95_limit_ms:g} ms, "
        f"of study requests <= {args.study_p95_limit_ms:g} ms, no errors): {passed_n} students"
        + ("" if failed_n is None else f"; {failed_n} failed")
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running platform (default: start one as processes)")
    parser.add_argument("--database-url", help="the study database (default: SQLite)")
    parser.add_argument(
        "--gateway-workers", type=int, help="gateway processes (default: one per core)"
    )
    parser.add_argument(
        "--study-workers",
        type=int,
        default=None,
        help="study service processes (default as make run and compose: 2 on 2 cores)",
    )
    parser.add_argument(
        "--proxy", action="store_true", help="students reach the platform through nginx"
    )
    parser.add_argument(
        "--gateway-replicas",
        type=int,
        default=1,
        help="gateway processes on ports of their own behind nginx (implies --proxy)",
    )
    parser.add_argument("--students", type=int, nargs="*", help="run these N only, no search")
    parser.add_argument("--start", type=int, default=100)
    parser.add_argument("--step", type=int, default=100)
    parser.add_argument("--max", type=int, default=1000)
    parser.add_argument("--resolution", type=int, default=25)
    parser.add_argument("--ramp", type=float, default=30.0, help="seconds over which they join")
    parser.add_argument("--learning-seconds", type=int, default=60)
    parser.add_argument("--think-scale", type=float, default=1.0, help="multiplies think times")
    parser.add_argument("--p95-limit-ms", type=float, default=100.0)
    parser.add_argument(
        "--study-p95-limit-ms",
        type=float,
        default=150.0,
        help="p95 limit of answers, phase starts/finishes and assignments together",
    )
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="processes the simulated students are shared among (one per core)",
    )
    args = parser.parse_args()

    raise_open_file_limit()  # a thousand browsers' connections, and the platform's
    log_dir = Path(tempfile.mkdtemp(prefix="cnn101-loadtest-"))
    # nginx's workers (another user when started as root) keep request bodies under it.
    log_dir.chmod(0o755)
    supervisor = Supervisor(log_dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        base = args.url or _start_platform(args, log_dir, supervisor)
        server_pids = {name: child.pid for name, child in supervisor.processes.items()}
        server_pids |= {f"nginx-{i + 1}": proxy.pid for i, proxy in enumerate(PROXIES)}
        site = discover_site(base)
        print(
            f"platform at {base} (logs in {log_dir}); "
            f"{'nginx in front; ' if PROXIES else ''}gateway replicas {args.gateway_replicas}, "
            f"workers each {args.gateway_workers or 'one per core'}; "
            f"study workers {supervisor.env.get('CNN101_EVALUATION_WORKERS', 'unknown')}; "
            f"study database {'SQLite' if not args.database_url else 'PostgreSQL'}; "
            f"{len(site.by_class)} classes; load average before: "
            f"{Path('/proc/loadavg').read_text().split()[:3]}"
        )
        results = search(lambda n: stage(base, site, n, args, server_pids), args)
        print(json.dumps({str(k): v for k, v in sorted(results.items())}))
        return 0
    finally:
        for proxy in PROXIES:
            proxy.terminate()
            proxy.wait(timeout=10)
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())

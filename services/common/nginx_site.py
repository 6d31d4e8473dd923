"""The shipped nginx site file (infra/nginx/cnn101.conf) run as a plain local process.

The static benchmark (scripts/bench_static.py) and the recipe's test
(tests/infra/test_nginx_site.py) both run the file exactly as shipped, with only its port,
upstreams, static root and SPA folder replaced, so the recipe in docs/serving.md is what they check.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from services.common.paths import PROJECT_ROOT

SITE_FILE = PROJECT_ROOT / "infra" / "nginx" / "cnn101.conf"
# The SPA's build, as `make frontend` leaves it (the gateway serves the same folder).
SPA_DIR = PROJECT_ROOT / "frontend" / "dist"
# Where nginx keeps its pid, log and temporary files, in one folder instead of /var and /etc:
# the main context's lines and the http context's.
PROCESS_FILES = "pid {dir}/nginx.pid;\nerror_log {dir}/nginx-error.log;"
TEMP_PATHS = (
    "client_body_temp_path {dir}/client; proxy_temp_path {dir}/proxy;\n"
    "  fastcgi_temp_path {dir}/fastcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;"
)
# nginx's main file around the site: everything under one folder, nothing in /var or /etc.
MAIN = """
{process_files}
worker_processes 1;
# A class of a thousand: each browser keeps a few connections, and each has its upstream one.
worker_rlimit_nofile 16384;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  {temp_paths}
  {site}
}}
"""


def write_config(
    folder: Path,
    port: int,
    gateway_port: int | Sequence[int],
    static_root: Path,
    *,
    study_port: int,
    spa_dir: Path = SPA_DIR,
) -> Path:
    """nginx.conf in ``folder``: the site on ``port``, proxying to ``gateway_port`` (several
    gateway replicas share the requests) and a student's study requests to the study
    service on ``study_port``, serving ``static_root`` (a folder called ``static``, as the
    site file assumes) and the SPA's assets from the build ``spa_dir``."""
    gateways = [gateway_port] if isinstance(gateway_port, int) else list(gateway_port)
    servers = " ".join(f"server 127.0.0.1:{each};" for each in gateways)
    site = (
        SITE_FILE.read_text()
        .replace("listen 80;", f"listen 127.0.0.1:{port};")
        .replace("server 127.0.0.1:8000;", servers)
        .replace("server 127.0.0.1:8001;", f"server 127.0.0.1:{study_port};")
        .replace("root /var/lib/cnn101;", f"root {static_root.parent};")
        .replace("root /usr/share/cnn101/spa;", f"root {spa_dir};")
    )
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "nginx.conf"
    config.write_text(
        MAIN.format(
            process_files=PROCESS_FILES.format(dir=folder),
            temp_paths=TEMP_PATHS.format(dir=folder),
            site=site,
        )
    )
    return config


def check_config(config: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on the file: its verdict and messages."""
    return subprocess.run(
        ["nginx", "-t", "-p", str(config.parent), "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def start(config: Path, port: int, timeout: float = 10.0) -> subprocess.Popen[bytes]:
    """nginx in the foreground with ``config``, once it accepts connections on ``port``."""
    process = subprocess.Popen(
        ["nginx", "-p", str(config.parent), "-c", str(config), "-g", "daemon off;"]
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    process.wait(timeout=10)
    raise RuntimeError(f"nginx did not start: see {config.parent / 'nginx-error.log'}")

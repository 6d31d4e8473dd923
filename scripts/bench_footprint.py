"""Print what each HTTP service costs to start: modules imported and resident memory.

For each service: the number of modules a fresh interpreter has after importing its app
module, and the resident set size (VmRSS) of the service started as ``cnn101 run`` starts
it (``python -m ...``, embedded defaults, a free port) once it answers its health check.
The gateway and the studio need nothing else running to start; the figures are of the
process alone.

    .venv/bin/python scripts/bench_footprint.py [--services gateway studio evaluation]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# name -> (module to import, port variable, health path)
SERVICES = {
    "gateway": ("services.gateway.app", "CNN101_GATEWAY_PORT", "/health/live"),
    "evaluation": ("evaluation.app", "CNN101_EVALUATION_PORT", "/health"),
    "studio": ("services.studio.app", "CNN101_STUDIO_PORT", "/health"),
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def modules_after_import(module: str) -> int:
    code = f"import sys, {module}; print(len(sys.modules))"
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return int(output.strip().splitlines()[-1])


def rss_after_start(module: str, port_variable: str, health: str) -> int:
    """VmRSS in KiB of the started service, read once its health check answers."""
    port = _free_port()
    # One gateway process (its default is one per core): the figure is per process.
    env = os.environ | {port_variable: str(port), "CNN101_GATEWAY_WORKERS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                if process.poll() is not None:
                    raise SystemExit(f"{module} exited with {process.returncode}") from None
                time.sleep(0.5)
        else:
            raise SystemExit(f"{module} did not answer {health} within 120 s")
        time.sleep(1.0)  # let start-up settle
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise SystemExit("no VmRSS in /proc")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", nargs="+", choices=sorted(SERVICES), default=["gateway"])
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}")
    for name in args.services:
        module, port_variable, health = SERVICES[name]
        modules = modules_after_import(module)
        rss = rss_after_start(module, port_variable, health)
        print(f"{name}: {modules} modules after import, {rss / 1024:.0f} MiB RSS after start")


if __name__ == "__main__":
    main()

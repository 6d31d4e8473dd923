"""Make a container restart when its health check keeps failing (Docker Compose).

Compose restarts a container whose process exits (``restart: unless-stopped``), but only
marks one ``unhealthy`` when its health check fails: a wedged service would stay wedged.
Kubernetes restarts on a failed liveness probe by itself; for compose, each health check
runs through this wrapper::

    python -m services.common.liveness --end-after 3 -- <check command...>

It runs the check; after ``--end-after`` failures in a row (counted in a file under
``/tmp``) it sends SIGTERM to the container's main process (PID 1), which exits, and the
restart policy starts the service again. A success resets the count. Standard library
only: every image carries it. (An autoheal sidecar would need the Docker socket, which is
root on the host.)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

COUNT_FILE = Path("/tmp/cnn101-liveness-failures")


def record(failed: bool, count_file: Path = COUNT_FILE) -> int:
    """The failures in a row after this check (0 after a success)."""
    try:
        before = int(count_file.read_text())
    except (OSError, ValueError):
        before = 0
    count = before + 1 if failed else 0
    count_file.write_text(str(count))
    return count


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.liveness")
    parser.add_argument("--end-after", type=int, default=3, help="failures in a row")
    parser.add_argument("--pid", type=int, default=1, help="the process to end")
    parser.add_argument("--count-file", type=Path, default=COUNT_FILE)
    parser.add_argument("check", nargs=argparse.REMAINDER, help="-- then the check command")
    args = parser.parse_args(argv)
    command = args.check[1:] if args.check[:1] == ["--"] else args.check
    if not command:
        parser.error("give the check command after --")
    try:
        code = subprocess.run(command, timeout=30, check=False).returncode
    except (OSError, subprocess.TimeoutExpired):
        code = 1
    failures = record(code != 0, args.count_file)
    if failures >= args.end_after:
        print(f"{failures} failed health checks in a row: ending process {args.pid}", flush=True)
        args.count_file.unlink(missing_ok=True)
        os.kill(args.pid, signal.SIGTERM)
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

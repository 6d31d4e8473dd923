"""The scheduler process (Celery beat), with a heartbeat a liveness probe can read.

Beat sends the version watcher (services/worker/tasks.py) every few seconds; it runs as a
process of its own (``beat_command``), supervised like every service. A process can be
alive and wedged, so :class:`HeartbeatScheduler` touches ``<schedule file>.alive`` on every
tick (at least every :data:`MAX_LOOP_SECONDS`), and ``python -m services.worker.beat
check <schedule file>`` fails when that file is older than :data:`STALE_SECONDS`: the
runner, compose and Kubernetes restart a beat that stopped ticking.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler

MAX_LOOP_SECONDS = 5
STALE_SECONDS = 60.0


def heartbeat_file(schedule_file: str | Path) -> Path:
    return Path(f"{schedule_file}.alive")


class HeartbeatScheduler(PersistentScheduler):  # type: ignore[misc]
    """Celery's file-backed scheduler that also touches its heartbeat file on each tick."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        heartbeat_file(self.schedule_filename).touch()
        return float(super().tick(*args, **kwargs))


def is_alive(schedule_file: str | Path, now: float | None = None) -> bool:
    """Whether the beat writing ``schedule_file`` ticked within :data:`STALE_SECONDS`."""
    try:
        touched = heartbeat_file(schedule_file).stat().st_mtime
    except OSError:
        return False
    return (now if now is not None else time.time()) - touched < STALE_SECONDS


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "check":
        print("usage: python -m services.worker.beat check <schedule file>", file=sys.stderr)
        return 2
    if is_alive(argv[1]):
        return 0
    print(f"beat has not ticked for {STALE_SECONDS:.0f} s ({heartbeat_file(argv[1])})")
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

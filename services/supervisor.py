"""Keep the platform's processes running: restart a dead or wedged child, give up on a crash loop.

``cnn101 run`` starts every service as a child process (services/runner.py); this module
owns them. A child that exits, or whose liveness probe fails :data:`PROBE_FAILURES` times
in a row, is restarted after a back-off (0.25 s, doubling to 8 s; back to 0.25 s once it
has stayed up for :data:`STABLE_SECONDS`), while the others keep serving. A child that
needs more than :data:`MAX_RESTARTS` restarts within :data:`CRASH_LOOP_SECONDS` is a crash
loop: the supervisor gives up, and the runner stops everything with the child's log.
Every restart is logged and written to ``processes.json`` in the log folder, which the
gateway's readiness shows (``CNN101_SUPERVISOR_STATUS_FILE``).

Why not supervisord (or circus, honcho): supervisord restarts a process that has been up
longer than ``startsecs`` immediately and forever, with no back-off and no crash-loop
limit, has no liveness probes (a wedged process stays "RUNNING"), and runs as a daemon
with its own configuration file and XML-RPC interface, where the runner needs to wait for
readiness, print the study login and stop on Ctrl-C. Honcho stops everything when one
process exits (the behaviour this replaces); circus is no longer maintained. What is
needed is about a hundred lines on top of ``subprocess``.

Children get ``PR_SET_PDEATHSIG`` (Linux): if the runner itself is killed, the kernel
ends them too, so no orphaned service keeps a port.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from services.common.paths import PROJECT_ROOT
from services.common.process import die_with_parent

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 0.25
MAX_BACKOFF_SECONDS = 8.0
STABLE_SECONDS = 30.0
MAX_RESTARTS = 5
CRASH_LOOP_SECONDS = 60.0
PROBE_INTERVAL_SECONDS = 5.0
PROBE_FAILURES = 3
STATUS_FILE = "processes.json"

Probe = Callable[[], bool]


@dataclass
class Child:
    """One supervised service: how to start it, its process, and its restart history."""

    name: str
    command: list[str]
    env: dict[str, str]
    probe: Probe | None = None
    # A probe is not asked (and its failures not counted) in the first seconds of a start.
    probe_grace_seconds: float = 60.0
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    recent_restarts: deque[float] = field(default_factory=deque)
    backoff: float = FIRST_BACKOFF_SECONDS
    restart_at: float | None = None
    probe_failures: int = 0
    probing: Future[bool] | None = None
    last_probe_at: float = 0.0
    last_exit: int | None = None
    last_reason: str = ""
    last_restart: str | None = None
    state: str = "starting"


class CrashLoopError(RuntimeError):
    """A child kept dying: the message names it and how often."""

    def __init__(self, child: Child) -> None:
        super().__init__(
            f"The {child.name} service stopped {MAX_RESTARTS + 1} times within "
            f"{CRASH_LOOP_SECONDS:.0f} s (last: {child.last_reason}); giving up."
        )
        self.child = child


@dataclass
class Supervisor:
    """The child processes, their logs and restarts, and how to stop them all."""

    log_dir: Path
    children: dict[str, Child] = field(default_factory=dict)
    # The environment the services were started with (set by the runner).
    env: dict[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    _probes: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="probe")
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def status_file(self) -> Path:
        return self.log_dir / STATUS_FILE

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        """The running processes by service name (a restarting one is absent)."""
        return {n: c.process for n, c in self.children.items() if c.process is not None}

    def start(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        probe: Probe | None = None,
        probe_grace_seconds: float = 60.0,
    ) -> None:
        child = Child(name, command, env, probe, probe_grace_seconds)
        self.children[name] = child
        self._spawn(child)

    def _spawn(self, child: Child) -> None:
        with (self.log_dir / f"{child.name}.log").open("ab") as log_file:
            child.process = subprocess.Popen(
                child.command,
                env=child.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=PROJECT_ROOT,
                # Its own process group, so a stop reaches the service's own children too.
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 (calls one C function, no locks)
            )
        child.started_at = self.clock()
        child.restart_at = None
        child.probe_failures = 0
        child.last_probe_at = 0.0
        # "starting" until its liveness probe first answers (at once without a probe).
        child.state = "running" if child.probe is None else "starting"
        self._write_status()

    def exited(self) -> str | None:
        """The name of a child that has exited, if any (start-up: no restarts yet)."""
        for name, child in self.children.items():
            if child.process is not None and child.process.poll() is not None:
                return name
        return None

    def tail(self, name: str, lines: int = 15) -> str:
        text = (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def check(self) -> list[str]:
        """Restart what died or stopped answering; return a line for each event.

        Raises :class:`CrashLoopError` when a child needs restarting too often.
        """
        events: list[str] = []
        now = self.clock()
        for child in self.children.values():
            process = child.process
            if process is not None and process.poll() is not None:
                reason = f"exited with code {process.returncode}"
                events.append(self._schedule_restart(child, reason))
            elif process is not None and self._wedged(child, now):
                self._kill(process)
                events.append(
                    self._schedule_restart(
                        child, f"did not answer {PROBE_FAILURES} liveness checks; killed"
                    )
                )
            if child.restart_at is not None and now >= child.restart_at:
                self._spawn(child)
                events.append(f"{child.name}: restarted (restart {child.restarts})")
            elif (
                child.process is not None
                and child.backoff > FIRST_BACKOFF_SECONDS
                and now - child.started_at > STABLE_SECONDS
            ):
                child.backoff = FIRST_BACKOFF_SECONDS
        for line in events:
            log.warning("%s", line)
        return events

    def _schedule_restart(self, child: Child, reason: str) -> str:
        now = self.clock()
        assert child.process is not None
        child.last_exit = child.process.returncode
        self._kill(child.process)  # what is left of its group (a Celery pool's processes)
        child.process = None
        child.probing = None
        child.last_reason = reason
        child.recent_restarts.append(now)
        while child.recent_restarts and now - child.recent_restarts[0] > CRASH_LOOP_SECONDS:
            child.recent_restarts.popleft()
        if len(child.recent_restarts) > MAX_RESTARTS:
            child.state = "gave_up"
            self._write_status()
            raise CrashLoopError(child)
        child.restarts += 1
        child.restart_at = now + child.backoff
        child.last_restart = datetime.now(UTC).isoformat(timespec="seconds")
        child.state = "restarting"
        wait = child.backoff
        child.backoff = min(MAX_BACKOFF_SECONDS, child.backoff * 2)
        self._write_status()
        return f"{child.name}: {reason}; restarting in {wait:g} s"

    def _wedged(self, child: Child, now: float) -> bool:
        """Whether ``child``'s probe has failed often enough to end it (probes run in
        threads, at most one per child at a time, so a slow probe never blocks the loop)."""
        if child.probe is None:
            return False
        starting = child.state == "starting"
        in_grace = now - child.started_at < child.probe_grace_seconds
        if child.probing is not None and child.probing.done():
            try:
                answered = child.probing.result()
            except Exception:  # a probe that raises is a failed check
                answered = False
            child.probing = None
            if answered and starting:
                child.state = "running"  # it answered: up, not only started
                self._write_status()
            if not in_grace:
                child.probe_failures = 0 if answered else child.probe_failures + 1
        # Starting: asked every second, to tell soon when it is up; then every interval.
        interval = 1.0 if starting else PROBE_INTERVAL_SECONDS
        if child.probing is None and now - child.last_probe_at >= interval:
            child.last_probe_at = now
            child.probing = self._probes.submit(child.probe)
        return child.probe_failures >= PROBE_FAILURES

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def status(self) -> dict[str, dict[str, object]]:
        """Each child's state, pid, restarts and last reason (what processes.json holds)."""
        return {
            name: {
                "state": child.state,
                "pid": child.process.pid if child.process is not None else None,
                "restarts": child.restarts,
                "last_restart": child.last_restart,
                "last_reason": child.last_reason or None,
            }
            for name, child in self.children.items()
        }

    def _write_status(self) -> None:
        """Replace processes.json atomically (the gateway may read it at any moment)."""
        with self._lock:
            partial = self.status_file.with_suffix(".tmp")
            partial.write_text(json.dumps({"processes": self.status()}, indent=1))
            partial.replace(self.status_file)

    def stop(self) -> None:
        """SIGTERM everything (newest first), then SIGKILL what outlives the grace period."""
        self._probes.shutdown(wait=False, cancel_futures=True)
        running = [c.process for c in reversed(self.children.values()) if c.process is not None]
        for child in self.children.values():
            child.restart_at = None
            child.state = "stopped"
        for process in running:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._kill(process)
        if self.status_file.parent.is_dir():
            self._write_status()

"""services/supervisor.py with real child processes: restarts, crash loops, wedges, orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from services.supervisor import MAX_RESTARTS, CrashLoopError, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(300)"]
QUITTER = [sys.executable, "-c", "raise SystemExit(3)"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet collected) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[1][0] != "Z"


def _check_until(supervisor: Supervisor, done: object, seconds: float = 20.0) -> list[str]:
    events: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        events += supervisor.check()
        if callable(done) and done():
            return events
        time.sleep(0.05)
    raise AssertionError(f"not done after {seconds} s; events: {events}")


def test_a_dead_child_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    try:
        supervisor.start("steady", SLEEPER, dict(os.environ))
        supervisor.start("victim", SLEEPER, dict(os.environ))
        steady, victim = supervisor.processes["steady"].pid, supervisor.processes["victim"].pid
        os.kill(victim, signal.SIGKILL)
        events = _check_until(
            supervisor,
            lambda: (
                "victim" in supervisor.processes and supervisor.processes["victim"].pid != victim
            ),
        )
        assert any("victim: exited with code -9; restarting in 0.25 s" in e for e in events)
        assert supervisor.processes["steady"].pid == steady and _alive(steady)
        status = json.loads(supervisor.status_file.read_text())["processes"]
        assert status["victim"]["restarts"] == 1 and status["victim"]["state"] == "running"
        assert status["victim"]["last_reason"] == "exited with code -9"
        assert status["steady"]["restarts"] == 0
    finally:
        supervisor.stop()
    assert not _alive(steady)


def test_a_crash_loop_gives_up_with_the_reason(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    try:
        supervisor.start("broken", QUITTER, dict(os.environ))
        with pytest.raises(CrashLoopError, match="broken service stopped 6 times") as raised:
            _check_until(supervisor, lambda: False, seconds=60)
        assert "exited with code 3" in str(raised.value)
        assert raised.value.child.restarts == MAX_RESTARTS
        # The back-off doubled between restarts: 0.25 + 0.5 + 1 + 2 + 4 s.
        status = json.loads(supervisor.status_file.read_text())["processes"]
        assert status["broken"]["state"] == "gave_up"
    finally:
        supervisor.stop()


def test_a_wedged_child_is_killed_and_restarted(tmp_path: Path) -> None:
    """A process that runs but fails its liveness probe three times is replaced."""
    healthy = {"answer": False}
    supervisor = Supervisor(tmp_path)
    try:
        supervisor.start(
            "wedged",
            SLEEPER,
            dict(os.environ),
            probe=lambda: healthy["answer"],
            probe_grace_seconds=0,
        )
        first = supervisor.processes["wedged"].pid
        import services.supervisor as module

        module_interval = module.PROBE_INTERVAL_SECONDS
        module.PROBE_INTERVAL_SECONDS = 0.1
        try:
            events = _check_until(
                supervisor,
                lambda: (
                    "wedged" in supervisor.processes and supervisor.processes["wedged"].pid != first
                ),
            )
        finally:
            module.PROBE_INTERVAL_SECONDS = module_interval
        assert any("did not answer 3 liveness checks; killed" in e for e in events), events
        assert not _alive(first)
    finally:
        supervisor.stop()


def test_children_end_when_the_runner_is_killed(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG: a SIGKILLed runner leaves no service behind holding its port."""
    pid_file = tmp_path / "child.pid"
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        from services.supervisor import Supervisor
        supervisor = Supervisor(Path({str(tmp_path)!r}))
        supervisor.start("child", {SLEEPER!r}, dict(os.environ))
        Path({str(pid_file)!r}).write_text(str(supervisor.processes["child"].pid))
        time.sleep(300)
        """
    )
    runner = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[1])
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pid_file.read_text())
        assert _alive(child)
        runner.kill()
        runner.wait()
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        runner.kill()

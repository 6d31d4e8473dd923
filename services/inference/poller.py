"""A background thread that calls a function now and then every ``interval`` seconds.

It keeps the served versions in step with the model folder; a failing call is logged and
retried at the next tick rather than ending the thread, so one bad export cannot stop the
server from noticing the next good one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Poller:
    """Calls ``tick`` at once when started, then every ``interval`` seconds until stopped."""

    def __init__(self, tick: Callable[[], None], interval: float) -> None:
        self._tick = tick
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="model-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to end and wait up to ``timeout`` seconds (a load may be running)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._tick()
            except Exception:
                logger.exception("polling the model folder failed; retrying")
            self._stopping.wait(self._interval)

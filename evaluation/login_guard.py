"""Who may try a password now, and how many passwords are checked at once.

Failed logins are counted per (client, account): five in five minutes, and that client
waits (429 with ``Retry-After``) while the instructor signs in from anywhere else — a
stranger cannot lock the real account. Each check is an Argon2 hash that takes a core for
tens of milliseconds, so at most ``concurrent_hashes`` run at once (one less than the
cores), and a login that cannot get a turn within seconds is told to retry instead of
queueing without bound; the students' requests keep a core. The gateway limits how often
one client may try at all (services/gateway/rate_limits.py).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from services.common.errors import ApiError

FAILURES = parse("5 per 5 minutes")


def default_concurrent_hashes(workers: int = 1) -> int:
    """One less than the cores, shared among the worker processes (at least one each)."""
    return max(1, ((os.cpu_count() or 2) - 1) // workers)


class LoginGuard:
    def __init__(
        self,
        concurrent_hashes: int | None = None,
        wait_seconds: float = 5.0,
        storage_uri: str = "memory://",
    ) -> None:
        # Several worker processes share one store (Redis): each counting on its own would
        # allow five tries per worker.
        self.failures = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.hashing = threading.BoundedSemaphore(concurrent_hashes or default_concurrent_hashes())
        self.wait_seconds = wait_seconds

    def admit(self, client: str, email: str) -> None:
        """429 when this client has failed too often for this account of late."""
        if self.failures.test(FAILURES, "login-failures", client, email):
            return
        stats = self.failures.get_window_stats(FAILURES, "login-failures", client, email)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many failed logins from here; try again in {wait} s",
            {"Retry-After": str(wait)},
        )

    def record_failure(self, client: str, email: str) -> None:
        self.failures.hit(FAILURES, "login-failures", client, email)

    @contextmanager
    def hashing_slot(self) -> Iterator[None]:
        """A turn to check a password, or 503 after ``wait_seconds`` of waiting for one."""
        if not self.hashing.acquire(timeout=self.wait_seconds):
            raise ApiError(
                503,
                "busy",
                "many sign-ins at once; try again in a moment",
                {"Retry-After": "2"},
            )
        try:
            yield
        finally:
            self.hashing.release()

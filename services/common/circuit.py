"""A circuit breaker for a dependency that is an optimisation (Redis as cache, a shared
rate-limit store): after a failure, skip it for a few seconds instead of waiting for its
timeout on every request.

A hung Redis accepts connections and never answers, so each command costs its socket
timeout; five commands on an upload made 15 s. With the breaker, the first failure costs
one timeout and the next :attr:`open_seconds` cost nothing; then one call is let through
(half open) and either closes the breaker or opens it again.

Why not pybreaker or aiobreaker: pybreaker's asynchronous support is for Tornado only, and
both count failures toward a threshold and raise their own error when open, where the
callers here want a plain question (may I call it now?) and their own fallback; the whole
state is two numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class CircuitBreaker:
    """Closed (calls go through) until :meth:`failed`; then open for ``open_seconds``."""

    open_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _open_until: float = field(default=0.0, init=False)
    _probing: bool = field(default=False, init=False)

    def allows(self) -> bool:
        """Whether to call the dependency now (one call at a time once the pause is over)."""
        if self._open_until == 0.0:
            return True
        if self.clock() < self._open_until or self._probing:
            return False
        self._probing = True
        return True

    @property
    def is_open(self) -> bool:
        return self._open_until != 0.0

    def failed(self) -> None:
        self._open_until = self.clock() + self.open_seconds
        self._probing = False

    def succeeded(self) -> None:
        self._open_until = 0.0
        self._probing = False

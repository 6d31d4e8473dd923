"""Per-client limits at the one door students use, sized for a class behind one NAT.

A class of 40 shares one public address at many schools, so every number here is what a
whole class may do at once, not one person: it stops one laptop from flooding logins,
joins or uploads while a class working normally never meets it. Counts live in Redis
(``limits``' moving windows), so every gateway process and replica shares them; if Redis
is away, each process counts on its own rather than letting everything through.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.circuit import CircuitBreaker
from services.common.errors import error_response

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """Requests of ``method`` to paths matching ``path`` share one limit per client."""

    name: str
    method: str
    path: re.Pattern[str]
    per_minute: int
    message: str

    def limit(self, scale: float) -> RateLimitItem:
        return parse(f"{max(1, round(self.per_minute * scale))}/minute")


RULES = (
    Rule(
        "login",
        "POST",
        re.compile(r"^/api/instructor/login$"),
        20,
        "Too many sign-in attempts from this network; wait a minute and try again.",
    ),
    Rule(
        "join",
        "POST",
        re.compile(r"^/api/student/join$"),
        120,
        "Too many joins from this network at once; wait a moment and try again.",
    ),
    Rule(
        "upload",
        "POST",
        re.compile(r"^/api/activations$"),
        600,
        "Too many pictures from this network at once; wait a moment and try again.",
    ),
    Rule(
        "warm",
        "POST",
        re.compile(r"^/api/models/[^/]+/versions/[^/]+/warm$"),
        10,
        "This was asked for many times already; wait a minute.",
    ),
    Rule(
        "follow",
        "GET",
        re.compile(r"^/api/presentations/[^/]+/events$"),
        240,
        "Too many connections to the presentation from this network; wait a moment.",
    ),
)


class RateLimits:
    """ASGI middleware: 429 with ``Retry-After`` for a client over a rule's limit."""

    def __init__(self, app: ASGIApp, redis_url: str, key_prefix: str, scale: float = 1.0) -> None:
        self.app = app
        self.prefix = f"{key_prefix}:limits"
        # 0 turns the limits off (a load test from one address); 2 doubles every one.
        self.limits = {rule.name: rule.limit(scale) for rule in RULES} if scale > 0 else {}
        shared = storage_from_string(
            redis_url.replace("redis://", "async+redis://", 1),
            implementation="redispy",
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
        )
        assert isinstance(shared, Storage)
        self.shared = MovingWindowRateLimiter(shared)
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.breaker = CircuitBreaker()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            rule = _rule_for(scope["method"], scope["path"])
            if rule is not None and rule.name in self.limits:
                client = (scope.get("client") or ("unknown", 0))[0]
                retry_after = await self._hit(rule, client)
                if retry_after is not None:
                    response = error_response(
                        429, "too_many_requests", rule.message, {"Retry-After": str(retry_after)}
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _hit(self, rule: Rule, client: str) -> int | None:
        """None when the request may pass, else the seconds until it may."""
        limit = self.limits[rule.name]
        # While the shared store failed lately, count in this process without waiting for
        # its timeout on every request (services/common/circuit.py).
        limiters = (self.shared, self.local) if self.breaker.allows() else (self.local,)
        for limiter in limiters:
            try:
                allowed = await limiter.hit(limit, self.prefix, rule.name, client)
                stats = None
                if not allowed:
                    stats = await limiter.get_window_stats(limit, self.prefix, rule.name, client)
            except Exception as error:  # the shared store is away: count in this process
                if limiter is self.local:
                    raise
                if not self.breaker.is_open:
                    logger.warning("rate-limit store unavailable (%s); counting locally", error)
                self.breaker.failed()
                continue
            if limiter is self.shared:
                self.breaker.succeeded()
            if stats is None:
                return None
            return max(1, math.ceil(stats.reset_time - time.time()))
        return None


def _rule_for(method: str, path: str) -> Rule | None:
    return next((r for r in RULES if r.method == method and r.path.match(path)), None)

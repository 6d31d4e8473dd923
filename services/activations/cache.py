"""The Redis side of the activation cache: bundles, normalised inputs, and a fill lock.

Redis is an optimisation, never a dependency of a correct answer: every operation here
turns a Redis failure into "not cached" and flags the cache as degraded, and the flag
clears on the next successful operation, so the service recovers by itself when Redis
returns. Short socket timeouts and a circuit breaker (services/common/circuit.py) keep a
hung Redis from stalling students' requests: the first failure costs one timeout, then
Redis is skipped for a few seconds.

The cache's Redis holds only cache data; its bound (``maxmemory``, ``allkeys-lru``) is on
its own command line or configuration (the runner, compose, Kubernetes), so a restart of
Redis keeps it. The broker and the presenter state live in another Redis without eviction.
Every entry also expires after ``ttl_seconds``, so a cache that shares an unbounded Redis
(a development setup) still cannot grow for ever.
"""

from __future__ import annotations

import logging

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from services.common.circuit import CircuitBreaker

log = logging.getLogger(__name__)

LOCK_MILLISECONDS = 15_000
DAY_SECONDS = 24 * 3600


class BundleCache:
    """Serialised bundles under
    ``<prefix>:bundle:<model>:<version>:<fingerprint>:<digest>[:all]``."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        ttl_seconds: int = DAY_SECONDS,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._ttl_seconds = ttl_seconds
        self._breaker = breaker or CircuitBreaker()
        self.degraded = False

    @classmethod
    def from_url(cls, url: str, prefix: str, ttl_seconds: int = DAY_SECONDS) -> BundleCache:
        # One immediate retry on a fresh connection, for connection errors only: after Redis
        # restarts, every pooled connection is stale and its first command fails although
        # Redis is back. A timeout is not retried (a hung Redis would cost it twice).
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=0.25,
            socket_timeout=0.5,
            health_check_interval=5,
            retry=Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
        )
        return cls(client, prefix, ttl_seconds)

    def bundle_key(
        self, model: str, version: int, fingerprint: str, digest: str, all_layers: bool
    ) -> str:
        """The fingerprint of the exported files is part of the key: a version exported
        again under the same number never meets its old bundles."""
        suffix = ":all" if all_layers else ""
        return f"{self._prefix}:bundle:{model}:{version}:{fingerprint}:{digest}{suffix}"

    def pixels_key(self, digest: str) -> str:
        return f"{self._prefix}:pixels:{digest}"

    def _failed(self, error: RedisError, action: str) -> None:
        if not self.degraded:
            log.warning("Redis %s failed, serving uncached: %s", action, error)
        self.degraded = True
        self._breaker.failed()

    def _answered(self) -> None:
        self.degraded = False
        self._breaker.succeeded()

    async def get(self, key: str) -> bytes | None:
        if not self._breaker.allows():
            return None
        try:
            value = await self._redis.get(key)
        except RedisError as error:
            self._failed(error, "read")
            return None
        self._answered()
        return value if isinstance(value, bytes) else None

    async def put(self, key: str, value: bytes) -> None:
        if not self._breaker.allows():
            return
        try:
            await self._redis.set(key, value, ex=self._ttl_seconds)
        except RedisError as error:
            self._failed(error, "write")
            return
        self._answered()

    async def store(
        self, key: str, value: bytes, pixels_digest: str, pixels: bytes, *, unlock: bool
    ) -> None:
        """Keep a computed bundle and its input pixels, and release ``key``'s fill lock when
        this process holds it, in one round trip (a pipeline, not a transaction)."""
        if not self._breaker.allows():
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(key, value, ex=self._ttl_seconds)
                pipe.set(self.pixels_key(pixels_digest), pixels, ex=self._ttl_seconds)
                if unlock:
                    pipe.delete(f"{key}:lock")
                await pipe.execute()
        except RedisError as error:
            self._failed(error, "write")
            return
        self._answered()

    async def try_lock(self, key: str) -> bool:
        """Take the fill lock of ``key`` (True also when Redis is away: compute anyway)."""
        if not self._breaker.allows():
            return True
        try:
            taken = await self._redis.set(f"{key}:lock", b"1", nx=True, px=LOCK_MILLISECONDS)
        except RedisError as error:
            self._failed(error, "lock")
            return True
        self._answered()
        return bool(taken)

    async def unlock(self, key: str) -> None:
        if not self._breaker.allows():
            return
        try:
            await self._redis.delete(f"{key}:lock")
        except RedisError as error:
            self._failed(error, "unlock")
            return
        self._answered()

    async def ping(self) -> bool:
        """Whether Redis answers (asked even while the breaker is open: the health watcher
        is what notices Redis is back); updates ``degraded``."""
        try:
            await self._redis.ping()
        except RedisError as error:
            self._failed(error, "ping")
            return False
        self._answered()
        return True

    async def eviction_policy(self) -> tuple[int, str] | None:
        """Redis' ``maxmemory`` and ``maxmemory-policy`` (None when it cannot be asked)."""
        try:
            config = await self._redis.config_get("maxmemory*")
        except RedisError:
            return None
        return int(config.get("maxmemory") or 0), str(config.get("maxmemory-policy") or "")

    async def close(self) -> None:
        await self._redis.aclose()

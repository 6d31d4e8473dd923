"""The Redis side of the activation cache: bundles, normalised inputs, and a fill lock.

Redis is an optimisation, never a dependency of a correct answer: every operation here
turns a Redis failure into "not cached" and flags the cache as degraded, and the flag
clears on the next successful operation, so the service recovers by itself when Redis
returns. Short socket timeouts keep a hung Redis from stalling students' requests.
"""

from __future__ import annotations

import logging

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

LOCK_MILLISECONDS = 15_000


class BundleCache:
    """Serialised bundles under ``<prefix>:bundle:<model>:<version>:<digest>[:all]``."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self.degraded = False

    @classmethod
    def from_url(cls, url: str, prefix: str) -> BundleCache:
        # One immediate retry on a fresh connection: after Redis restarts, every pooled
        # connection is stale and its first command fails although Redis is back.
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=0.5,
            socket_timeout=1.0,
            health_check_interval=5,
            retry=Retry(NoBackoff(), retries=1),
            retry_on_error=[RedisConnectionError],
        )
        return cls(client, prefix)

    def bundle_key(self, model: str, version: int, digest: str, all_layers: bool) -> str:
        suffix = ":all" if all_layers else ""
        return f"{self._prefix}:bundle:{model}:{version}:{digest}{suffix}"

    def pixels_key(self, digest: str) -> str:
        return f"{self._prefix}:pixels:{digest}"

    def _failed(self, error: RedisError, action: str) -> None:
        if not self.degraded:
            log.warning("Redis %s failed, serving uncached: %s", action, error)
        self.degraded = True

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self._redis.get(key)
        except RedisError as error:
            self._failed(error, "read")
            return None
        self.degraded = False
        return value if isinstance(value, bytes) else None

    async def put(self, key: str, value: bytes) -> None:
        try:
            await self._redis.set(key, value)
        except RedisError as error:
            self._failed(error, "write")
            return
        self.degraded = False

    async def try_lock(self, key: str) -> bool:
        """Take the fill lock of ``key`` (True also when Redis is down: compute anyway)."""
        try:
            taken = await self._redis.set(f"{key}:lock", b"1", nx=True, px=LOCK_MILLISECONDS)
        except RedisError as error:
            self._failed(error, "lock")
            return True
        return bool(taken)

    async def unlock(self, key: str) -> None:
        try:
            await self._redis.delete(f"{key}:lock")
        except RedisError as error:
            self._failed(error, "unlock")

    async def ping(self) -> bool:
        """Whether Redis answers; updates ``degraded``."""
        try:
            await self._redis.ping()
        except RedisError as error:
            self._failed(error, "ping")
            return False
        self.degraded = False
        return True

    async def limit_memory(self, max_memory: str) -> None:
        """Bound Redis' memory and evict least-recently-used keys beyond it."""
        await self._redis.config_set("maxmemory", max_memory)
        await self._redis.config_set("maxmemory-policy", "allkeys-lru")

    async def close(self) -> None:
        await self._redis.aclose()

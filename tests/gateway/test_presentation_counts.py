"""The follower count a gateway reports is never overtaken by an older report.

Many students join within the same millisecond: each join reports this process's count to
Redis. Without ordering, an earlier report (smaller count) can reach Redis after a later
one and the presenter's banner shows too few students until the next heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.gateway.presentations import PresentationHub
from tests.serving.stack import RedisProcess


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisProcess(Path(tmp_path_factory.mktemp("presentation-counts")))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


async def _count_after_concurrent_joins(redis_url: str, joins: int) -> int:
    # A long heartbeat: only the joins themselves report, no periodic repair hides a race.
    hub = PresentationHub(redis_url, "counts", ttl_seconds=60, heartbeat_seconds=60)
    try:
        async with contextlib.AsyncExitStack() as stack:
            await asyncio.gather(
                *(stack.enter_async_context(hub.follow("ABC-DEF")) for _ in range(joins))
            )
            return await hub.follower_count("ABC-DEF")
    finally:
        await hub.redis.aclose()


@pytest.mark.parametrize("attempt", range(5))
def test_concurrent_joins_are_all_counted(redis_url: str, attempt: int) -> None:
    assert asyncio.run(_count_after_concurrent_joins(redis_url, 30)) == 30

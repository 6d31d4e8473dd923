"""The presenter hub: what the instructor shows, pushed live to every student following.

A presentation is one Redis hash (token hash, current state, sequence number), refreshed
on each change and expiring after ``CNN101_PRESENTATION_TTL_SECONDS`` idle. A change is
stored and published in one Lua script, so the sequence order is the publish order and a
late joiner reads the state the last event carried. Each gateway process keeps ONE Redis
subscription (one channel for every presentation) and fans each message out in-process to
its followers' queues, so a class of 300 costs one Redis connection per process, and
every replica delivers. The frame sent to followers is built once per change.

Without Redis the routes answer 503; the subscription reconnects by itself and, once back,
re-reads the state of every presentation it has followers for (a change published while it
was away is not lost: the state is a snapshot, not a log).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Literal

import redis.asyncio as aioredis
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# No 0/O, 1/I/L: a code is read off a projector and typed by students.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_PATTERN = r"^[A-Za-z0-9]{3}-?[A-Za-z0-9]{3}$"
FOLLOWER_QUEUE = 256
RECONNECT_MAX_SECONDS = 1.0

# KEYS[1] presentation hash; ARGV: token hash, state JSON, TTL, channel, code.
# Returns {status, seq}: 0 changed, 1 unchanged, -1 unknown code, -2 wrong token.
PUBLISH_SCRIPT = """
local stored = redis.call('HGET', KEYS[1], 'token')
if not stored then return {-1, 0} end
if stored ~= ARGV[1] then return {-2, 0} end
redis.call('EXPIRE', KEYS[1], ARGV[3])
if redis.call('HGET', KEYS[1], 'state') == ARGV[2] then
  return {1, tonumber(redis.call('HGET', KEYS[1], 'seq'))}
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', KEYS[1], 'state', ARGV[2])
redis.call('PUBLISH', ARGV[4], 's|' .. ARGV[5] .. '|' .. seq .. '|' .. ARGV[2])
return {0, seq}
"""
# KEYS[1] presentation hash, KEYS[2] its follower counts; ARGV: token hash, channel, code.
END_SCRIPT = """
local stored = redis.call('HGET', KEYS[1], 'token')
if not stored then return -1 end
if stored ~= ARGV[1] then return -2 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('PUBLISH', ARGV[2], 'e|' .. ARGV[3])
return 0
"""


# --- the state a presenter shares: the grammar of frontend/src/url/state.ts ------------

NAME = r"^[\w.-]{1,100}$"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ExampleImage(StrictModel):
    kind: Literal["example"]
    id: Annotated[str, Field(pattern=NAME)]


class DigestImage(StrictModel):
    kind: Literal["digest"]
    digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Neuron(StrictModel):
    layer: Annotated[str, Field(pattern=NAME)]
    index: Annotated[int, Field(ge=0, le=99_999)]


class PixelDetail(StrictModel):
    kind: Literal["pixel"]
    y: Annotated[int, Field(ge=0, le=99_999)]
    x: Annotated[int, Field(ge=0, le=99_999)]
    channel: Annotated[int, Field(ge=0, le=99_999)] | None = None


class SoftmaxDetail(StrictModel):
    kind: Literal["softmax"]


class SharedState(StrictModel):
    """What followers apply, exactly as the explorer applies its URL (plus the open tab)."""

    model: Annotated[str, Field(pattern=NAME)] | None = None
    version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    image: Annotated[ExampleImage | DigestImage, Field(discriminator="kind")] | None = None
    scope: Literal["unit", "module", "global"] = "unit"
    neuron: Neuron | None = None
    detail: Annotated[PixelDetail | SoftmaxDetail, Field(discriminator="kind")] | None = None
    tab: Literal["explorer", "playground"] = "explorer"


# --- the hub ----------------------------------------------------------------------------


class PresentationNotFoundError(Exception):
    """No presentation with this code (never started, ended or expired)."""


class NotPresenterError(Exception):
    """The presenter token does not match."""


@dataclass(frozen=True)
class Snapshot:
    seq: int
    state: str  # canonical JSON of a SharedState


@dataclass(frozen=True)
class Event:
    """One change as followers receive it; ``frame`` is the SSE text, built once."""

    seq: int
    frame: bytes
    ended: bool = False


def state_frame(seq: int, state: str) -> bytes:
    return f"id: {seq}\nevent: state\ndata: {state}\n\n".encode()


END_FRAME = b'event: end\ndata: {"ended":true}\n\n'


def normalise_code(code: str) -> str:
    """``k7p2qx`` and ``K7P-2QX`` name the same presentation."""
    bare = code.replace("-", "").upper()
    return f"{bare[:3]}-{bare[3:]}"


def new_code() -> str:
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"{letters[:3]}-{letters[3:]}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(eq=False)  # one per stream, kept in sets by identity
class Follower:
    """One student's stream: a queue the hub fills, read by that student's response."""

    code: str
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(FOLLOWER_QUEUE))

    def offer(self, event: Event) -> None:
        # A follower too slow for 256 changes skips the oldest: each event is a full state.
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(event)


class PresentationHub:
    """Presentations in Redis and this process's followers, fed by one subscription."""

    def __init__(
        self, redis_url: str, prefix: str, ttl_seconds: int, heartbeat_seconds: float
    ) -> None:
        self.redis: aioredis.Redis = aioredis.Redis.from_url(
            redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=10
        )
        self.prefix = prefix
        self.channel = f"{prefix}:presentations"
        self.ttl_seconds = ttl_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.process_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.subscribed = asyncio.Event()
        self._followers: dict[str, set[Follower]] = {}
        self._delivered: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        # Reports go out one at a time, each counting at the moment it is sent: two joins
        # reporting concurrently could otherwise land in Redis out of order, leaving the
        # smaller (older) count there until the next heartbeat.
        self._report_lock = asyncio.Lock()
        self._publish = self.redis.register_script(PUBLISH_SCRIPT)
        self._end = self.redis.register_script(END_SCRIPT)

    def _key(self, code: str) -> str:
        return f"{self.prefix}:presentation:{code}"

    def _followers_key(self, code: str) -> str:
        return f"{self.prefix}:presentation:{code}:followers"

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="presentations-listen"),
            asyncio.create_task(self._watch(), name="presentations-watch"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for followers in self._followers.values():
            for follower in followers:
                follower.offer(Event(0, END_FRAME, ended=True))
        await self.redis.aclose()

    # -- the presenter's side --

    async def create(self, initial: SharedState) -> tuple[str, str]:
        """A new presentation; its code and the presenter's secret token."""
        token = secrets.token_urlsafe(32)
        for _ in range(20):
            code = new_code()
            if await self.redis.hsetnx(self._key(code), "token", token_hash(token)):
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.hset(
                        self._key(code), mapping={"state": initial.model_dump_json(), "seq": 0}
                    )
                    pipe.expire(self._key(code), self.ttl_seconds)
                    await pipe.execute()
                return code, token
        raise RuntimeError("no free presentation code after 20 draws")

    async def change(self, code: str, token: str, state: SharedState) -> int:
        """Store and publish a new state; its sequence number (unchanged: the current one)."""
        status, seq = await self._publish(
            keys=[self._key(code)],
            args=[token_hash(token), state.model_dump_json(), self.ttl_seconds, self.channel, code],
        )
        self._check(int(status))
        return int(seq)

    async def end(self, code: str, token: str) -> None:
        status = await self._end(
            keys=[self._key(code), self._followers_key(code)],
            args=[token_hash(token), self.channel, code],
        )
        self._check(int(status))

    @staticmethod
    def _check(status: int) -> None:
        if status == -1:
            raise PresentationNotFoundError
        if status == -2:
            raise NotPresenterError

    # -- the followers' side --

    async def snapshot(self, code: str) -> Snapshot | None:
        seq, state = await self.redis.hmget(self._key(code), ["seq", "state"])
        if seq is None or state is None:
            return None
        return Snapshot(int(seq), _text(state))

    async def follower_count(self, code: str) -> int:
        """Students following, summed over every gateway process that reported lately."""
        fresh_after = time.time() - 3 * self.heartbeat_seconds
        total = 0
        for value in (await self.redis.hgetall(self._followers_key(code))).values():
            count, _, stamp = _text(value).partition(":")
            if float(stamp) >= fresh_after:
                total += int(count)
        return total

    @contextlib.asynccontextmanager
    async def follow(self, code: str) -> AsyncIterator[Follower]:
        """Register a follower for the duration of its stream."""
        follower = Follower(code)
        self._followers.setdefault(code, set()).add(follower)
        try:
            with contextlib.suppress(RedisError):
                await self._report(code)
            yield follower
        finally:
            followers = self._followers.get(code, set())
            followers.discard(follower)
            if not followers:
                self._followers.pop(code, None)
                self._delivered.pop(code, None)
            with contextlib.suppress(RedisError):
                await self._report(code)

    async def _report(self, code: str) -> None:
        async with self._report_lock:
            count = len(self._followers.get(code, ()))
            key = self._followers_key(code)
            if count:
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.hset(key, self.process_id, f"{count}:{time.time()}")
                    pipe.expire(key, self.ttl_seconds)
                    await pipe.execute()
            else:
                await self.redis.hdel(key, self.process_id)

    def _dispatch(self, code: str, event: Event) -> None:
        if not event.ended:
            if event.seq <= self._delivered.get(code, 0):
                return
            self._delivered[code] = event.seq
        for follower in list(self._followers.get(code, ())):
            follower.offer(event)

    async def _listen(self) -> None:
        """The one subscription of this process; reconnects and catches up by itself."""
        delay = 0.05
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                await self._catch_up()
                self.subscribed.set()
                delay = 0.05
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._on_message(message["data"])
            except (RedisError, OSError) as error:
                self.subscribed.clear()
                log.warning("presentation subscription lost (%s); reconnecting", error)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    def _on_message(self, data: bytes | str) -> None:
        kind, _, rest = _text(data).partition("|")
        if kind == "e":
            self._dispatch(rest, Event(0, END_FRAME, ended=True))
        elif kind == "s":
            code, _, rest = rest.partition("|")
            seq, _, state = rest.partition("|")
            self._dispatch(code, Event(int(seq), state_frame(int(seq), state)))

    async def _catch_up(self) -> None:
        """After (re)subscribing: deliver what changed meanwhile, end what went away."""
        for code in list(self._followers):
            snapshot = await self.snapshot(code)
            if snapshot is None:
                self._dispatch(code, Event(0, END_FRAME, ended=True))
            else:
                self._dispatch(code, Event(snapshot.seq, state_frame(snapshot.seq, snapshot.state)))

    async def _watch(self) -> None:
        """Every heartbeat: report follower counts, notice expired presentations."""
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            if not self.subscribed.is_set():
                continue
            try:
                for code in list(self._followers):
                    await self._report(code)
                await self._catch_up()
            except RedisError as error:
                log.warning("presentation watch failed (%s)", error)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def get_hub(request: Request) -> PresentationHub:
    hub: PresentationHub = request.app.state.presentations
    return hub


HubDep = Annotated[PresentationHub, Depends(get_hub)]

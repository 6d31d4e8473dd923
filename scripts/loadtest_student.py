"""One simulated student: the requests the SPA sends, in order, with a student's think times.

Kept apart from the stage runner so that what a student does can be read (and changed) in
one place; the latencies it measures go into a :class:`Stats` per client process.

The client shares the machine with the platform it measures, so it uses aiohttp: about
0.1 ms of CPU per request against httpx's 1.0 ms (scripts/bench_http_clients.py;
docs/sizing.md, "The client shares the machine").
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np
from PIL import Image

CACHED = "activations (cached example)"


def upload_picture(rng: random.Random) -> bytes:
    """A webcam-sized photo (320x240 JPEG, as a phone or webcam sends) a student might
    upload: smooth like a photo, and a new digest each time. Encoding it costs the client
    about 1 ms (a PNG of noise took 12.5 ms, a fifth of a core at the upload peak)."""
    small = np.random.default_rng(rng.getrandbits(32)).integers(0, 256, (30, 40, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(small).resize((320, 240), Image.Resampling.BILINEAR).save(
        buffer, "JPEG", quality=85
    )
    return buffer.getvalue()


@dataclass
class Stats:
    """Latencies per request type, and the errors."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    bytes_received: int = 0
    resent: int = 0
    # (wall-clock time the request was sent, kind, seconds): when in the lesson the slow
    # ones fall (the stage's timeline); wall clock, so the client processes' lists merge.
    timeline: list[tuple[float, str, float]] = field(default_factory=list)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        self.latencies[kind].append(seconds)
        self.timeline.append((time.time() - seconds, kind, seconds))
        if error is not None:
            self.errors[kind] += 1
            if len(self.error_samples) < 8:
                self.error_samples.append(f"{kind}: {error}")

    def percentile(self, kind: str, q: float) -> float:
        values = sorted(self.latencies.get(kind, []))
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    @property
    def total_errors(self) -> int:
        return sum(self.errors.values())


@dataclass(frozen=True)
class Reply:
    """A response the student got: its status and body, read in full."""

    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Site:
    """What every student loads the same: assets, the model, the examples by class."""

    assets: dict[str, list[str]]
    model: str
    version: int
    weights_url: str
    by_class: dict[int, list[str]]
    sprites: dict[int, str]
    # Each example's bundle as the examples list names it: the rendered static file (as the
    # SPA fetches it), or the activations route before the worker has rendered the version.
    bundles: dict[str, str]


class Student:
    """One browser: its own connections, its think times, the SPA's requests in order."""

    def __init__(self, index: int, base: str, stats: Stats, args: argparse.Namespace) -> None:
        self.rng = random.Random(args.seed * 1_000_003 + index)
        self.base = base
        self.stats = stats
        self.args = args
        # A browser keeps its connections through the think times (Chrome for minutes); the
        # servers keep them 20 s (the gateway) or 75 s (nginx). Dropped a little before the
        # gateway's end, so few requests meet a connection the server is closing.
        self.http = aiohttp.ClientSession(
            base,
            connector=aiohttp.TCPConnector(limit=6, keepalive_timeout=15.0),
            timeout=aiohttp.ClientTimeout(total=args.timeout),
        )
        self.token = ""
        # What the browser keeps (hashed assets, immutable bundles, max-age images).
        self.browser_cache: set[str] = set()

    async def _send(self, method: str, path: str, **kwargs: Any) -> Reply:
        async with self.http.request(method, path, **kwargs) as response:
            return Reply(response.status, await response.read())

    async def request(self, kind: str, method: str, path: str, **kwargs: Any) -> Reply | None:
        started = time.perf_counter()
        try:
            try:
                response = await self._send(method, path, **kwargs)
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                # A kept-alive connection the server closed as the request left: browsers
                # resend it unseen, so do we (once; counted, and timed from the first try).
                self.stats.resent += 1
                response = await self._send(method, path, **kwargs)
        except (aiohttp.ClientError, TimeoutError) as error:
            self.stats.record(kind, time.perf_counter() - started, type(error).__name__)
            return None
        problem = None if response.status < 400 else f"{response.status} {path}"
        self.stats.bytes_received += len(response.body)
        self.stats.record(kind, time.perf_counter() - started, problem)
        return None if problem else response

    async def cached_get(self, kind: str, path: str) -> None:
        """A GET the browser answers from its cache when it has fetched it before."""
        if path not in self.browser_cache:
            self.browser_cache.add(path)
            await self.request(kind, "GET", path)

    async def think(self, low: float, high: float) -> None:
        await asyncio.sleep(self.rng.uniform(low, high) * self.args.think_scale)

    async def page(self, name: str, assets: dict[str, list[str]]) -> None:
        """A page and its scripts and styles, fetched in parallel as a browser does."""
        await self.request("page", "GET", f"/{name}")
        await asyncio.gather(*(self.cached_get("asset", a) for a in assets[name]))

    async def study(self, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.request(
            kind, method, f"/api/student{path}", headers=headers, **kwargs
        )
        if response is None or response.status == 204:
            return None
        return response.json()

    async def quiz(self, phase: str) -> None:
        view = await self.study("study: phase start/finish", "POST", f"/phases/{phase}/start")
        if view is None:
            return
        for item in view["items"]:
            await self.think(2.0, 5.0)
            await self.study(
                "study: answer",
                "POST",
                "/answers",
                json={
                    "submission_id": uuid.uuid4().hex,
                    "phase": phase,
                    "item_id": item["id"],
                    "choice_index": self.rng.randrange(len(item["options"])),
                },
            )
        await self.study("study: phase start/finish", "POST", f"/phases/{phase}/finish")

    async def explore(self, site: Site, deadline: float) -> None:
        """The learning phase in the explorer, until the learning time is over."""
        await self.page("index.html", site.assets)
        await self.request("model list", "GET", "/api/models")
        await self.request("model description", "GET", f"/api/models/{site.model}")
        await self.request("examples list", "GET", f"/api/examples?model={site.model}")
        query = f"model={site.model}&version={site.version}"
        label = self.rng.choice(sorted(site.by_class))

        async def thumbnails() -> None:
            # The picker shows a class's thumbnails as tiles of one sprite image.
            await self.cached_get("class thumbnails (sprite)", site.sprites[label])

        await thumbnails()
        uploaded = weights = False
        events: list[dict[str, Any]] = []
        last_events = time.monotonic()
        while time.monotonic() < deadline:
            await self.think(2.0, 6.0)
            roll = self.rng.random()
            if roll < 0.15 and not weights:
                # Opening a neuron's intermediate view loads the weights once.
                weights = True
                await self.request("weights", "GET", site.weights_url)
            elif 0.15 <= roll < 0.30 and not uploaded:
                uploaded = True
                form = aiohttp.FormData()
                form.add_field(
                    "file",
                    upload_picture(self.rng),
                    filename="photo.jpg",
                    content_type="image/jpeg",
                )
                await self.request(
                    "activations (upload, uncached)", "POST", f"/api/activations?{query}", data=form
                )
            elif 0.30 <= roll < 0.40:  # another class: its thumbnails
                label = self.rng.choice(sorted(site.by_class))
                await thumbnails()
            else:
                example = self.rng.choice(site.by_class[label])
                await self.cached_get(CACHED, site.bundles[example])
            events.append({"kind": "view", "client_time_ms": int(time.time() * 1000)})
            if time.monotonic() - last_events > 10 and events:
                await self.study("study: events", "POST", "/events", json={"events": events})
                events, last_events = [], time.monotonic()
        if events:
            await self.study("study: events", "POST", "/events", json={"events": events})

    async def run(self, site: Site, join_code: str) -> None:
        try:
            await self.page("study.html", site.assets)
            joined = await self.study("study: join", "POST", "/join", json={"code": join_code})
            if joined is None:
                return
            self.token = joined["token"]
            await self.think(2.0, 5.0)
            await self.study(
                "study: consent",
                "POST",
                "/consent",
                json={"choice": "participate", "prior_ml": self.rng.random() < 0.3},
            )
            await self.quiz("pre")
            await self.study("study: assignment", "POST", "/assignment")
            view = await self.study("study: phase start/finish", "POST", "/phases/learning/start")
            seconds_left = float(view["seconds_left"]) if view else 0.0
            await self.explore(site, time.monotonic() + seconds_left + 0.5)
            state = await self.study("study: state", "GET", "/state")
            if state and state["step"] == "learning":  # a moment early: the page waits too
                await asyncio.sleep(1.0)
            await self.quiz("post")
            await self.think(3.0, 8.0)
            await self.study(
                "study: questionnaire",
                "POST",
                "/questionnaire",
                json={
                    "umux_capabilities": self.rng.randint(1, 7),
                    "umux_ease": self.rng.randint(1, 7),
                    "mental_effort": self.rng.randint(1, 9),
                },
            )
            await self.study("study: outcome", "GET", "/outcome")
        finally:
            await self.http.close()

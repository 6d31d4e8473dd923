"""What the gateway's routes share: settings, the activation client, examples, bundle memory."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Annotated, NamedTuple

import httpx
import numpy as np
from cachetools import LRUCache
from fastapi import Depends, Request

from services.common.bundles import pixels_digest
from services.common.errors import ApiError
from services.common.jobs import TaskSender
from services.gateway.activations_client import ActivationsClient, ModelVersion
from services.gateway.decode_pool import DecodePool
from services.gateway.encoded import EncodedJson
from services.gateway.forwarding import Forwarder
from services.gateway.images import encode_png
from services.gateway.settings import GatewaySettings
from services.pipeline.examples import Example, ExampleCatalog

DESCRIPTION_SECONDS = 2.0
MAX_VERSION = 2**63 - 1  # the protocol's int64


class BundleKey(NamedTuple):
    """What decides a bundle: the model version's exported files and the input."""

    model: str
    version: int
    fingerprint: str
    digest: str


@dataclass
class GatewayState:
    """Long-lived objects built in the app's lifespan."""

    settings: GatewaySettings
    client: ActivationsClient
    examples: ExampleCatalog
    # (model, version, fingerprint, digest) -> the serialised bundle
    bundles: LRUCache[BundleKey, bytes]
    jobs: TaskSender
    evaluation: httpx.AsyncClient
    studio: httpx.AsyncClient
    # a browser's requests to them, forwarded (services/gateway/routes/study.py)
    study_forwarder: Forwarder
    studio_forwarder: Forwarder
    decoder: DecodePool
    _described: dict[tuple[str, int], tuple[float, ModelVersion]] = field(default_factory=dict)
    _example_digests: dict[int, dict[str, str]] = field(default_factory=dict)
    _digest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _refreshing: dict[tuple[str, int], asyncio.Future[ModelVersion]] = field(default_factory=dict)
    # (model, version, fingerprint, rendered?) -> the example list as sent (routes/examples.py)
    example_lists: LRUCache[tuple[str, int, str, bool], EncodedJson] = field(
        default_factory=lambda: LRUCache(maxsize=32)
    )
    # Encoded thumbnails: a class asks for each one many times, decoding is not free.
    _example_pngs: LRUCache[tuple[str, int], bytes] = field(
        default_factory=lambda: LRUCache(maxsize=4096)
    )

    async def model_version(self, name: str, version: int) -> ModelVersion:
        """A described version (0: the newest), asked again when 2 s old: a new version
        may appear, and a version exported again under its number has a new fingerprint."""
        version = max(version, 0)  # a negative version means the newest, as 0 does
        if version > MAX_VERSION:
            raise ApiError(404, "unknown_version", f"Model {name!r} has no version {version}.")
        key = (name, version)
        cached = self._described.get(key)
        if cached and time.monotonic() - cached[0] < DESCRIPTION_SECONDS:
            return cached[1]
        # One refresh at a time: a class's requests arriving together would otherwise each
        # fetch the description (with its weights) when the 2 s run out.
        refresh = self._refreshing.get(key)
        if refresh is None:
            refresh = asyncio.ensure_future(self._refresh(name, version))
            self._refreshing[key] = refresh
            refresh.add_done_callback(lambda _: self._refreshing.pop(key, None))
        return await asyncio.shield(refresh)

    async def _refresh(self, name: str, version: int) -> ModelVersion:
        described = await self.client.describe(name, version)
        self._described[name, version] = (time.monotonic(), described)
        return described

    async def example_digests(self, size: int) -> dict[str, str]:
        """Example id to the digest of its normalised input at ``size`` (computed once)."""
        async with self._digest_lock:
            if size not in self._example_digests:
                self._example_digests[size] = await asyncio.to_thread(self._digest_all, size)
        return self._example_digests[size]

    def _digest_all(self, size: int) -> dict[str, str]:
        return {e.id: pixels_digest(self.examples.pixels(e.id, size)) for e in self.examples}

    async def example_png(self, example_id: str, size: int) -> bytes:
        """The example as the model sees it, PNG-encoded off the event loop, then kept."""
        key = (example_id, size)
        png = self._example_pngs.get(key)
        if png is None:
            png = await asyncio.to_thread(
                lambda: encode_png(self.examples.pixels(example_id, size))
            )
            self._example_pngs[key] = png
        return png

    def example(self, example_id: str) -> Example | None:
        return self.examples.get(example_id)

    def class_examples(self, label: int) -> list[Example]:
        """A class's examples in catalogue order: the order of its sprite's tiles."""
        return [example for example in self.examples if example.label == label]

    async def class_sprite(self, label: int, size: int) -> bytes:
        """A class's examples side by side in one PNG, encoded once and kept.

        A student who opens a class needs all its thumbnails at once: one image instead of
        25 keeps a class of 300 opening the explorer together from queueing thousands of
        small requests on the gateway.
        """
        key = (f"sprite:{label}", size)
        png = self._example_pngs.get(key)
        if png is None:
            ids = [example.id for example in self.class_examples(label)]
            png = await asyncio.to_thread(
                lambda: encode_png(
                    np.concatenate([self.examples.pixels(i, size) for i in ids], axis=1)
                )
            )
            self._example_pngs[key] = png
        return png


async def get_state(request: Request) -> GatewayState:
    """Async, as every trivial dependency here: a sync one costs a thread-pool hop."""
    state: GatewayState = request.app.state.gateway
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]

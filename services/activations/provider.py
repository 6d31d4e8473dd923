"""From an image reference to the serialised activation bundle, computing it at most once.

A request names its image by normalised pixels, example id or digest. The cache key is
model name + version + SHA-256 of the normalised input. On a hit the stored bytes are
returned as they are (nobody decodes them on the way to the browser). On a miss, one
inference call fills the key however many requests for it arrive at once: concurrent
callers in this process share one task, and callers in other replicas wait on a Redis lock.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np

from services.activations.cache import BundleCache
from services.activations.inference_client import InferenceClient
from services.common.bundles import build_bundle, pixels_digest, stored_layer_names
from services.common.model_store import ASSETS_DIR, MODEL_JSON, model_fingerprint
from services.pipeline.examples import ExampleCatalog

LOCK_POLL_SECONDS = 0.02
LOCK_WAIT_SECONDS = 5.0


class NotFoundError(LookupError):
    """Unknown model, version, example or digest."""


class ModelChangingError(RuntimeError):
    """The version's files were exported again and inference still serves the old ones
    (it reloads within its poll): answered UNAVAILABLE, so the client tries again, rather
    than an old answer cached under the new files' fingerprint."""


class InvalidImageError(ValueError):
    """Pixels that are not a normalised input of the model's size."""


@dataclass(frozen=True)
class ImageRef:
    """Exactly one of: normalised ``pixels``, an ``example_id``, an ``image_digest``."""

    pixels: bytes | None = None
    example_id: str | None = None
    image_digest: str | None = None


class ActivationProvider:
    """Resolves versions, images and cache keys; calls inference on a miss."""

    def __init__(
        self,
        inference: InferenceClient,
        cache: BundleCache,
        examples: ExampleCatalog,
        model_base_path: Path,
    ) -> None:
        self._inference = inference
        self._cache = cache
        self._examples = examples
        self._base = model_base_path
        self._descriptions: dict[tuple[str, int], dict[str, Any]] = {}
        self._in_flight: dict[str, asyncio.Task[bytes]] = {}
        self._example_digests: dict[int, dict[str, str]] = {}
        self.inference_calls = 0

    async def versions(self, model: str) -> list[int]:
        versions = await self._inference.served_versions(model)
        if not versions:
            raise NotFoundError(f"Model {model!r} has no version being served.")
        return versions

    async def resolve_version(self, model: str, version: int) -> int:
        """``version``, or the newest served one when it is 0."""
        return version if version > 0 else (await self.versions(model))[-1]

    def _version_dir(self, model: str, version: int) -> Path:
        return self._base / model / str(version)

    def description(self, model: str, version: int) -> dict[str, Any]:
        """The version's ``model.json`` with its ``fingerprint`` (services/common/model_store.py):
        read again when the version is exported again under the same number."""
        folder = self._version_dir(model, version)
        path = folder / ASSETS_DIR / MODEL_JSON
        if not path.is_file():
            raise NotFoundError(f"Model {model!r} version {version} is not known here.")
        fingerprint = model_fingerprint(folder)
        known = self._descriptions.get((model, version))
        if known is None or known["fingerprint"] != fingerprint:
            known = json.loads(path.read_text(encoding="utf-8")) | {"fingerprint": fingerprint}
            self._descriptions[model, version] = known
        return known

    def weights(self, model: str, version: int) -> bytes:
        """The version's ``weights.bin``, as the browser loads it."""
        file_name = str(self.description(model, version)["weights"]["file"])
        return (self._version_dir(model, version) / ASSETS_DIR / file_name).read_bytes()

    async def models(self) -> dict[str, list[int]]:
        """Model folders under the base path with the versions being served of each."""
        names = (
            sorted(p.name for p in self._base.iterdir() if p.is_dir())
            if self._base.is_dir()
            else []
        )
        served: dict[str, list[int]] = {}
        for name in names:
            try:
                versions = await self._inference.served_versions(name)
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                continue
            if versions:
                served[name] = versions
        return served

    async def bundle(self, model: str, version: int, image: ImageRef, all_layers: bool) -> bytes:
        """The serialised ``ActivationBundle`` of ``image`` under ``model``/``version``."""
        version = await self.resolve_version(model, version)
        description = self.description(model, version)
        size = int(description["input"]["shape"][0])
        pixels, digest = await self._resolve_image(image, size)
        key = self._cache.bundle_key(model, version, description["fingerprint"], digest, all_layers)
        cached = await self._cache.get(key)
        if cached is not None:
            return cached
        if pixels is None:
            pixels = await self._pixels_for_digest(digest, size)
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.create_task(self._fill(key, model, version, pixels, all_layers))
            self._in_flight[key] = task
            task.add_done_callback(lambda _: self._in_flight.pop(key, None))
        return await asyncio.shield(task)

    async def _fill(
        self, key: str, model: str, version: int, pixels: np.ndarray, all_layers: bool
    ) -> bytes:
        locked = await self._cache.try_lock(key)
        if not locked:  # another replica is computing this key: wait for its result
            waited = 0.0
            while waited < LOCK_WAIT_SECONDS:
                await asyncio.sleep(LOCK_POLL_SECONDS)
                waited += LOCK_POLL_SECONDS
                cached = await self._cache.get(key)
                if cached is not None:
                    return cached
        stored = False
        try:
            data = await self._compute(model, version, pixels, all_layers)
            await self._cache.store(
                key, data, pixels_digest(pixels), pixels.tobytes(), unlock=locked
            )
            stored = True  # the store released the lock too
            return data
        finally:
            if locked and not stored:
                await self._cache.unlock(key)

    async def _compute(
        self, model: str, version: int, pixels: np.ndarray, all_layers: bool
    ) -> bytes:
        self.inference_calls += 1
        inputs = pixels[np.newaxis].astype(np.float32) / np.float32(255.0)
        description = self.description(model, version)
        layers = description["layers"]
        # Only what the bundle carries: the layers it derives (ReLU, pooling, flatten) would
        # double what inference serialises and this service parses.
        wanted = list(dict.fromkeys([*stored_layer_names(layers, all_layers), layers[-1]["name"]]))
        outputs, served = await self._inference.activations(model, version, inputs, wanted)
        expected = description["fingerprint"]
        if served is not None and served != expected:
            raise ModelChangingError(
                f"Model {model!r} version {version} is being updated; try again in a moment."
            )
        bundle = build_bundle(
            model_name=model,
            model_version=version,
            pixels=pixels,
            layers=layers,
            activations={name: values[0] for name, values in outputs.items()},
            all_layers=all_layers,
        )
        return bundle.SerializeToString()

    async def _resolve_image(self, image: ImageRef, size: int) -> tuple[np.ndarray | None, str]:
        if image.pixels is not None:
            expected = size * size * 3
            if len(image.pixels) != expected:
                raise InvalidImageError(
                    f"Expected {size}x{size}x3 = {expected} bytes of RGB pixels, "
                    f"got {len(image.pixels)}."
                )
            pixels = np.frombuffer(image.pixels, dtype=np.uint8).reshape(size, size, 3)
            return pixels, pixels_digest(pixels)
        if image.example_id is not None:
            if self._examples.get(image.example_id) is None:
                raise NotFoundError(f"There is no example {image.example_id!r}.")
            pixels = await asyncio.to_thread(self._examples.pixels, image.example_id, size)
            return pixels, pixels_digest(pixels)
        if image.image_digest is not None:
            digest = image.image_digest.lower()
            if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
                raise InvalidImageError("An image digest is 64 hexadecimal characters.")
            return None, digest
        raise InvalidImageError("Name an image: pixels, an example id or a digest.")

    async def _pixels_for_digest(self, digest: str, size: int) -> np.ndarray:
        stored = await self._cache.get(self._cache.pixels_key(digest))
        if stored is not None and len(stored) == size * size * 3:
            return np.frombuffer(stored, dtype=np.uint8).reshape(size, size, 3)
        if size not in self._example_digests:
            self._example_digests[size] = await asyncio.to_thread(self._digest_examples, size)
        example_id = self._example_digests[size].get(digest)
        if example_id is None:
            raise NotFoundError("This image is not known (any more): send the picture again.")
        return await asyncio.to_thread(self._examples.pixels, example_id, size)

    def _digest_examples(self, size: int) -> dict[str, str]:
        return {
            pixels_digest(self._examples.pixels(example.id, size)): example.id
            for example in self._examples
        }

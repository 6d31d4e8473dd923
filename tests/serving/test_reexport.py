"""A version exported again under the same number is served at once, never its old bundles.

The measured fault: replacing ``tiny_vgg/1`` with other weights changed Predict's answer,
but the gateway and Redis kept serving the old bundles under URLs cached for a year. Now
the fingerprint of the exported files is in every cache key, ETag and pinned URL.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import numpy as np
import pytest
import redis
from cnn101.v1 import activations_pb2

from tests.exports import export_untrained
from tests.serving.conftest import ModelServices, Stack, own_model_services

EXAMPLE = "val_181"


@pytest.fixture(scope="module")
def exported(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, ModelServices]]:
    base_path = tmp_path_factory.mktemp("reexport")
    export_untrained(base_path, "tiny_vgg", version=1, seed=0)
    with own_model_services(stack, base_path, ["tiny_vgg"], "reexport") as services:
        yield base_path, services


def _probabilities(content: bytes) -> np.ndarray:
    return np.asarray(activations_pb2.ActivationBundle.FromString(content).probabilities)


def test_a_version_exported_again_is_served_with_its_new_weights(
    stack: Stack, exported: tuple[Path, ModelServices], tmp_path: Path
) -> None:
    base_path, services = exported
    http = httpx.Client(base_url=services.gateway.url, timeout=60)
    url = f"/api/examples/{EXAMPLE}/activations?version=1"
    before = http.get(url)
    assert before.status_code == 200, before.text
    old_fingerprint = before.headers["x-model-fingerprint"]
    pinned = f"{url}&fingerprint={old_fingerprint}"
    assert http.get(pinned).headers["cache-control"].endswith("immutable")

    # The operator exports other weights as version 1 again (a folder swapped in).
    staging = tmp_path / "staging"
    export_untrained(staging, "tiny_vgg", version=1, seed=7)
    shutil.rmtree(base_path / "tiny_vgg" / "1")
    shutil.move(staging / "tiny_vgg" / "1", base_path / "tiny_vgg" / "1")

    deadline = time.monotonic() + 30
    after = http.get(url)
    # Between the folder's removal and its replacement the version is briefly not served:
    # 503 with Retry-After (found by a fresh-clone run on a loaded machine), then the new one.
    while after.status_code == 503 or after.headers.get("x-model-fingerprint") == old_fingerprint:
        assert after.status_code in {503, 200}, after.text
        if after.status_code == 503:
            assert "retry-after" in after.headers, after.headers
        assert time.monotonic() < deadline, "the new export was never served"
        time.sleep(0.2)
        after = http.get(url)
    assert after.status_code == 200
    new_fingerprint = after.headers["x-model-fingerprint"]
    assert not np.allclose(_probabilities(after.content), _probabilities(before.content))
    # What the new SavedModel computes for a picture nobody cached: the same answer.
    uploaded = http.post(
        "/api/activations?version=1",
        files={"file": ("x.png", http.get(f"/api/examples/{EXAMPLE}/image").content)},
    )
    assert uploaded.headers["x-model-fingerprint"] == new_fingerprint
    np.testing.assert_allclose(
        _probabilities(uploaded.content), _probabilities(after.content), atol=1e-6
    )
    # The old pinned URL is no longer cached for ever and answers with the new bundle.
    stale = http.get(pinned)
    assert stale.headers["cache-control"] == "no-cache"
    assert stale.content == after.content
    # Redis holds the new bundle under the new fingerprint, beside (never instead of) the old.
    client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    keys = client.keys(f"{stack.prefix}-reexport:bundle:*")
    fingerprints = {str(key).split(":")[4] for key in keys}
    assert {old_fingerprint, new_fingerprint} <= fingerprints


class StaleInference:
    """An inference service still answering from the files before a re-export."""

    async def served_versions(self, model: str) -> list[int]:
        return [1]

    async def activations(
        self, model: str, version: int, inputs: np.ndarray, outputs: Sequence[str] = ()
    ) -> tuple[dict[str, np.ndarray], str | None]:
        return {}, "0123456789abcdef"  # not the files' fingerprint


def test_an_answer_from_the_old_files_is_not_cached_under_the_new_fingerprint(
    stack: Stack,
) -> None:
    """Between a re-export and inference's reload, the answer would be the old weights':
    the activation service says UNAVAILABLE (the client retries) instead of caching it."""
    import asyncio
    from typing import cast

    from services.activations.cache import BundleCache
    from services.activations.inference_client import InferenceClient
    from services.activations.provider import ActivationProvider, ImageRef, ModelChangingError
    from services.pipeline.classes import CNN101_CLASSES
    from services.pipeline.examples import ExampleCatalog

    cache = BundleCache.from_url(stack.redis.url, f"{stack.prefix}-stale")
    provider = ActivationProvider(
        cast(InferenceClient, StaleInference()),
        cache,
        ExampleCatalog.from_data_dir(stack.data_dir, CNN101_CLASSES),
        stack.base_path,
    )
    pixels = np.full((64, 64, 3), 7, dtype=np.uint8).tobytes()

    async def ask() -> None:
        try:
            await provider.bundle("tiny_vgg", 1, ImageRef(pixels=pixels), all_layers=False)
        finally:
            await cache.close()

    with pytest.raises(ModelChangingError, match="being updated"):
        asyncio.run(ask())
    client = redis.Redis.from_url(stack.redis.url)
    assert list(client.scan_iter(f"{stack.prefix}-stale:bundle:*")) == []

"""The gateway over real HTTP, in front of the real activation service, inference and Redis."""

from __future__ import annotations

import hashlib
import io

import httpx
import numpy as np
import pytest
from cnn101.v1 import activations_pb2
from PIL import Image

from services.common.bundles import derive_layers, read_tensors
from services.pipeline.preprocess import to_model_pixels
from tests.serving.conftest import Stack
from tests.serving.served_outputs import assert_served_matches
from tests.serving.stack import wait_until


@pytest.fixture
def http(stack: Stack) -> httpx.Client:
    return httpx.Client(base_url=stack.gateway.url, timeout=60)


def _png(width: int = 80, height: int = 60, seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def _upload(http: httpx.Client, data: bytes, name: str = "photo.png") -> httpx.Response:
    return http.post("/api/activations", files={"file": (name, data, "image/png")})


def test_upload_gives_the_saved_model_s_activations(stack: Stack, http: httpx.Client) -> None:
    data = _png(seed=1)
    response = _upload(http, data)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-protobuf")
    expected_pixels = to_model_pixels(Image.open(io.BytesIO(data)))
    digest = hashlib.sha256(expected_pixels.tobytes()).hexdigest()
    assert response.headers["x-image-digest"] == digest
    assert response.headers["x-model-version"] == "1"
    bundle = activations_pb2.ActivationBundle.FromString(response.content)
    assert bundle.image_digest == digest
    values = derive_layers(stack.bundle.description["layers"], read_tensors(bundle))
    expected = stack.bundle.activations(
        expected_pixels[np.newaxis].astype(np.float32) / np.float32(255)
    )
    for name, layer in expected.items():
        assert_served_matches(values[name], layer[0], name)
    assert len(response.content) <= 400 * 1024


def test_bundle_by_digest_is_immutable(http: httpx.Client) -> None:
    uploaded = _upload(http, _png(seed=2))
    url = uploaded.headers["content-location"]
    first = http.get(url)
    assert first.status_code == 200
    assert first.content == uploaded.content
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = http.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_unknown_digest_and_bad_digest(http: httpx.Client) -> None:
    missing = http.get("/api/models/tiny_vgg/versions/1/activations/" + "cd" * 32)
    assert missing.status_code == 404
    assert "send the picture again" in missing.json()["error"]["message"]
    bad = http.get("/api/models/tiny_vgg/versions/1/activations/xyz")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_digest"


def test_examples_list_image_and_activations(http: httpx.Client) -> None:
    listing = http.get("/api/examples").json()
    assert listing["model"] == "tiny_vgg" and listing["version"] == 1
    assert len(listing["examples"]) == 250
    first = listing["examples"][0]
    assert first["class_name"] == "lifeboat" and first["label"] == 0
    image = http.get(first["image_url"])
    assert image.headers["content-type"] == "image/png"
    pixels = np.asarray(Image.open(io.BytesIO(image.content)).convert("RGB"))
    assert hashlib.sha256(pixels.tobytes()).hexdigest() == first["digest"]
    again = http.get(first["image_url"])  # from the gateway's memory this time: same bytes
    assert again.content == image.content and again.headers["etag"] == image.headers["etag"]
    revalidated = http.get(first["image_url"], headers={"If-None-Match": image.headers["etag"]})
    assert revalidated.status_code == 304 and revalidated.content == b""
    bundle = http.get(f"/api/examples/{first['id']}/activations")
    assert bundle.status_code == 200
    assert bundle.headers["x-image-digest"] == first["digest"]
    assert bundle.headers["cache-control"] == "no-cache"
    versioned = http.get(f"/api/examples/{first['id']}/activations?version=1")
    assert versioned.headers["cache-control"] == "no-cache"  # the files may be exported again
    fingerprint = bundle.headers["x-model-fingerprint"]
    assert len(fingerprint) == 16
    pinned = http.get(
        f"/api/examples/{first['id']}/activations?version=1&fingerprint={fingerprint}"
    )
    assert pinned.headers["cache-control"].endswith("immutable")
    assert pinned.content == bundle.content
    stale = http.get(f"/api/examples/{first['id']}/activations?version=1&fingerprint=0000")
    assert stale.headers["cache-control"] == "no-cache" and stale.content == bundle.content
    assert http.get("/api/examples/val_0000000/activations").status_code == 404


def test_class_sprite_holds_each_example_at_its_index(http: httpx.Client) -> None:
    """One PNG per class whose tiles are the examples' model inputs, in list order."""
    examples = http.get("/api/examples").json()["examples"]
    koalas = [e for e in examples if e["class_name"] == "koala"]
    assert len({e["sprite_url"] for e in koalas}) == 1
    assert sorted(e["sprite_index"] for e in koalas) == list(range(len(koalas)))
    sprite = http.get(koalas[0]["sprite_url"])
    assert sprite.status_code == 200 and sprite.headers["content-type"] == "image/png"
    strip = np.asarray(Image.open(io.BytesIO(sprite.content)).convert("RGB"))
    assert strip.shape == (64, 64 * len(koalas), 3)
    for example in koalas:
        tile = strip[:, 64 * example["sprite_index"] : 64 * (example["sprite_index"] + 1)]
        assert hashlib.sha256(np.ascontiguousarray(tile).tobytes()).hexdigest() == example["digest"]
    etag = sprite.headers["etag"]
    assert http.get(koalas[0]["sprite_url"], headers={"If-None-Match": etag}).status_code == 304
    missing = http.get("/api/examples/sprites/99")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_class"
    assert http.get("/api/examples/sprites/koala").status_code == 422


def test_models_description_and_weights(stack: Stack, http: httpx.Client) -> None:
    listed = http.get("/api/models").json()
    assert listed == {
        "default": "tiny_vgg",
        "models": [{"name": "tiny_vgg", "versions": [1], "latest": 1}],
    }
    newest = http.get("/api/models/tiny_vgg").json()
    assert newest["version"] == 1 and newest["available_versions"] == [1]
    assert [layer["type"] for layer in newest["description"]["layers"]][:3] == [
        "input",
        "conv",
        "relu",
    ]
    weights = http.get(newest["weights_url"])
    assert weights.headers["cache-control"].endswith("immutable")
    expected_sha = stack.bundle.description["weights"]["sha256"]
    assert hashlib.sha256(weights.content).hexdigest() == expected_sha
    assert http.get("/api/models/nope").status_code == 404
    assert http.get("/api/models/tiny_vgg/versions/7").status_code == 404


def _too_many_pixels_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (3000, 3000)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 400, "empty_file"),
        (b"hello, this is text", 415, "unsupported_format"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", 415, "unsupported_format"),
        (_png()[:200], 400, "corrupt_image"),
        (_too_many_pixels_png(), 413, "too_many_pixels"),
    ],
)
def test_bad_uploads_get_a_clear_4xx(
    http: httpx.Client, data: bytes, status: int, code: str
) -> None:
    response = _upload(http, data)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert len(error["message"]) > 20 and "Traceback" not in error["message"]


def test_too_many_bytes_is_refused_before_reading(http: httpx.Client) -> None:
    big = b"\x89PNG" + bytes(3 * 1024 * 1024)
    response = _upload(http, big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] in {"body_too_large", "file_too_large"}
    assert "MB" in response.json()["error"]["message"]


def test_missing_file_field(http: httpx.Client) -> None:
    response = http.post("/api/activations", data={"other": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_health_metrics_and_openapi(http: httpx.Client) -> None:
    assert http.get("/health/live").json() == {"status": "ok"}
    ready = http.get("/health/ready").json()
    assert ready == {
        "status": "ok",
        "checks": {
            "activations": "ok",
            "cache": "ok",
            "inference": "ok",
            "study": "ok",
            "studio": "ok",
        },
    }
    http.get("/api/models")
    metrics = http.get("/metrics").text
    assert 'cnn101_gateway_requests_total{method="GET",route="/api/models",status="200"}' in (
        metrics
    )
    spec = http.get("/openapi.json").json()
    for path in (
        "/api/models",
        "/api/models/{name}",
        "/api/examples",
        "/api/examples/{example_id}/activations",
        "/api/activations",
        "/api/models/{name}/versions/{version}/activations/{digest}",
        "/health/ready",
    ):
        assert path in spec["paths"], path


def test_inference_down_gives_503_with_retry_after(stack: Stack, http: httpx.Client) -> None:
    stack.inference.stop(grace=0)
    try:
        response = _upload(http, _png(seed=9))
        assert response.status_code == 503
        assert response.headers["retry-after"] == "3"
        assert "try again" in response.json()["error"]["message"]
        assert http.get("/health/ready").status_code == 503
    finally:
        stack.restart_inference()
    wait_until(lambda: _upload(http, _png(seed=9)).status_code == 200, "uploads work again")


def test_redis_down_is_degraded_not_down(stack: Stack, http: httpx.Client) -> None:
    stack.redis.stop()
    try:
        assert _upload(http, _png(seed=10)).status_code == 200
        wait_until(
            lambda: http.get("/health/ready").json()["status"] == "degraded",
            "readiness says degraded",
        )
        assert http.get("/health/ready").status_code == 200
    finally:
        stack.redis.start()
    wait_until(lambda: http.get("/health/ready").json()["status"] == "ok", "readiness recovers")

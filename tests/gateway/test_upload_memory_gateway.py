"""The real gateway app refuses decompression bombs with 413 and little memory.

Runs the app under uvicorn in this process (its resident memory is this process's) in
front of a stand-in activation service; the pictures come from tests/gateway/pictures.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import httpx
import pytest
from cnn101.v1 import activations_pb2

from services.gateway.app import create_app
from services.gateway.decode_pool import DecodePool
from services.gateway.images import decode_upload
from services.gateway.settings import GatewaySettings
from tests.gateway.pictures import (
    LIMITS,
    MB,
    PeakGrowth,
    blank_webp,
    encoded,
    gradient,
    lossless_webp,
    palette_bmp,
    phone_photo,
    progressive_jpeg_claiming,
    rgba_png,
    small_png,
)
from tests.serving.stack import GatewayThread, RedisProcess, free_port


def _describe(
    request: activations_pb2.DescribeModelRequest, context: grpc.ServicerContext
) -> activations_pb2.ModelDescription:
    return activations_pb2.ModelDescription(
        model_name=request.model_name,
        model_version=1,
        description_json=json.dumps({"input": {"shape": [64, 64, 3]}}),
        available_versions=[1],
    )


def _bundle(
    request: activations_pb2.GetActivationsRequest, context: grpc.ServicerContext
) -> activations_pb2.ActivationBundle:
    return activations_pb2.ActivationBundle()


# The activation service as far as uploads need it: a 64x64 model, empty bundles.
STAND_IN_ACTIVATIONS = grpc.method_handlers_generic_handler(
    "cnn101.v1.ActivationService",
    {
        "DescribeModel": grpc.unary_unary_rpc_method_handler(
            _describe,
            request_deserializer=activations_pb2.DescribeModelRequest.FromString,
            response_serializer=activations_pb2.ModelDescription.SerializeToString,
        ),
        "GetActivations": grpc.unary_unary_rpc_method_handler(
            _bundle,
            request_deserializer=activations_pb2.GetActivationsRequest.FromString,
            response_serializer=activations_pb2.ActivationBundle.SerializeToString,
        ),
    },
)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path) -> Iterator[str]:
    """The real gateway app with its default upload limits, under uvicorn in this process."""
    root = tmp_path_factory.mktemp("gateway")
    redis_process = RedisProcess(root)
    redis_process.start()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((STAND_IN_ACTIVATIONS,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    thread = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=f"127.0.0.1:{port}",
                data_dir=real_data_dir,
                spa_dir=root / "no-spa",
                redis_url=redis_process.url,
                broker_url=redis_process.url_for(1),
                result_backend=redis_process.url_for(1),
                evaluation_url=f"http://127.0.0.1:{free_port()}",
                studio_url=f"http://127.0.0.1:{free_port()}",
                rate_limit_scale=0,
            )
        )
    )
    thread.start()
    try:
        with httpx.Client(base_url=thread.url, timeout=60) as client:  # the first upload's
            assert _upload(client, small_png()).status_code == 200  # allocations
        yield thread.url
    finally:
        thread.stop()
        server.stop(grace=None)
        redis_process.stop()


def _upload(client: httpx.Client, data: bytes) -> httpx.Response:
    return client.post("/api/activations", files={"file": ("picture.png", data, "image/png")})


ISSUE_FILES = {
    "lossless WebP 16383x2400": lossless_webp(16383, 2400),
    "RGBA PNG 6000x6000": rgba_png(6000, 6000),
    "RLE BMP 6000x6000": palette_bmp(6000, 6000),
    "blank lossless WebP 4096x4096": blank_webp(4096, 4096),
    "progressive CMYK JPEG claiming 4096x4096": progressive_jpeg_claiming(4096, 4096),
}


@pytest.mark.parametrize("name", ISSUE_FILES)
def test_the_gateway_refuses_decompression_bombs_with_413_and_little_memory(
    name: str, gateway: str
) -> None:
    with httpx.Client(base_url=gateway, timeout=60) as client, PeakGrowth() as peak:
        answer = _upload(client, ISSUE_FILES[name])
    assert answer.status_code == 413, answer.text
    error = answer.json()["error"]
    assert error["code"] in ("too_many_pixels", "too_large_to_decode"), error
    assert "smaller" in error["message"]
    assert peak.mb < 50, f"{name}: the gateway grew {peak.mb:.0f} MB"


def test_six_of_the_largest_allowed_pictures_at_once_stay_within_the_pool_bound(
    gateway: str,
) -> None:
    """The heaviest pictures still decoded (their promised memory just under the limit),
    six at once: the pool lets a few decode at a time, so the gateway grows by at most
    workers x 96 MB, not six times that."""
    settings = GatewaySettings()
    heavy = [encoded(gradient(1800, 1800, "RGBA"), "WEBP", lossless=True, method=0)] * 3
    heavy += [rgba_png(4000, 4000)] * 3
    for data in (heavy[0], heavy[-1]):
        assert decode_upload(data, **LIMITS).decoded_bytes > 0.4 * settings.max_decode_bytes

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=gateway, timeout=120) as session:
            return await asyncio.gather(
                *(
                    session.post("/api/activations", files={"file": ("p.png", data)})
                    for data in heavy
                )
            )

    with PeakGrowth() as peak:
        answers = asyncio.run(send_all())
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    workers = DecodePool(settings.decode_workers or None, 1, 1)
    workers.close()
    assert peak.mb < workers.workers * settings.max_decode_bytes / MB + 40, peak.mb


def _multipart(size: int, boundary: str = "cnn101-boundary") -> tuple[Iterator[bytes], str]:
    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        left = size
        while left > 0:
            step = min(left, 256 * 1024)
            yield b"\x89" * step
            left -= step
        yield f"\r\n--{boundary}--\r\n".encode()

    return body(), f"multipart/form-data; boundary={boundary}"


def test_a_chunked_11_mb_upload_gets_the_same_413_as_a_declared_one(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=60) as client:
        body, content_type = _multipart(11 * MB)
        chunked = client.post(
            "/api/activations", content=body, headers={"content-type": content_type}
        )
        declared = client.post(
            "/api/activations",
            content=b"".join(_multipart(11 * MB)[0]),
            headers={"content-type": content_type},
        )
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == declared.status_code == 413, chunked.text
    assert chunked.json() == declared.json()
    assert chunked.json()["error"]["code"] == "body_too_large"


def test_a_chunked_upload_within_the_limit_is_decoded(gateway: str) -> None:
    data = phone_photo(800, 600)
    boundary = "cnn101-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for start in range(0, len(data), 100_000):
            yield data[start : start + 100_000]
        yield f"\r\n--{boundary}--\r\n".encode()

    with httpx.Client(base_url=gateway, timeout=60) as client:
        answer = client.post(
            "/api/activations",
            content=body(),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-image-digest"] == decode_upload(data, **LIMITS).digest


def test_a_large_phone_photo_still_works_through_the_gateway(gateway: str) -> None:
    data = phone_photo()
    with httpx.Client(base_url=gateway, timeout=60) as client, PeakGrowth() as peak:
        answer = _upload(client, data)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-image-digest"] == decode_upload(data, **LIMITS).digest
    assert peak.mb < 50

"""The activation-cache service over real gRPC, against the real inference service and Redis."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import grpc
import numpy as np
import pytest
import redis
from cnn101.v1 import activations_pb2, activations_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.activations.cache import BundleCache
from services.common.bundles import derive_layers, pixels_digest, read_tensors
from tests.serving.conftest import Stack
from tests.serving.served_outputs import assert_served_matches
from tests.serving.stack import RedisProcess, wait_until


def _stub(stack: Stack) -> activations_pb2_grpc.ActivationServiceStub:
    channel = grpc.insecure_channel(
        stack.activations_target, options=[("grpc.max_receive_message_length", 1 << 26)]
    )
    return activations_pb2_grpc.ActivationServiceStub(channel)  # type: ignore[no-untyped-call]


def _random_pixels(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (64, 64, 3), dtype=np.uint8)


def _get(stack: Stack, **image: object) -> activations_pb2.ActivationBundle:
    request = activations_pb2.GetActivationsRequest(model_name="tiny_vgg", **image)  # type: ignore[arg-type]
    reply: activations_pb2.ActivationBundle = _stub(stack).GetActivations(request, timeout=60)
    return reply


def test_bundle_equals_the_saved_model_s_own_outputs(stack: Stack) -> None:
    pixels = _random_pixels(1)
    bundle = _get(stack, pixels=pixels.tobytes())
    assert bundle.model_name == "tiny_vgg" and bundle.model_version == 1
    assert bundle.image_digest == pixels_digest(pixels)
    assert bundle.input_pixels == pixels.tobytes()
    layers = stack.bundle.description["layers"]
    carried = read_tensors(bundle)
    assert set(carried) == {"conv_1_1", "conv_1_2", "conv_2_1", "conv_2_2", "output", "softmax"}
    everything = derive_layers(layers, carried)
    expected = stack.bundle.activations(pixels[np.newaxis].astype(np.float32) / np.float32(255))
    assert set(everything) == set(expected)
    for name, values in expected.items():
        assert_served_matches(everything[name], values[0], name)
    probabilities = np.array(bundle.probabilities, dtype=np.float32)
    assert_served_matches(probabilities, expected["softmax"][0], "probabilities")


def test_all_layers_on_request(stack: Stack) -> None:
    bundle = _get(stack, pixels=_random_pixels(2).tobytes(), all_layers=True)
    assert len(bundle.tensors) == 13


def test_a_cache_hit_does_not_reach_inference(stack: Stack) -> None:
    provider = stack.activations.provider
    pixels = _random_pixels(3)
    before = provider.inference_calls
    first = _get(stack, pixels=pixels.tobytes())
    second = _get(stack, image_digest=pixels_digest(pixels))
    third = _get(stack, pixels=pixels.tobytes())
    assert provider.inference_calls == before + 1
    assert first == second == third


def test_fifty_concurrent_requests_cause_one_inference_call(stack: Stack) -> None:
    provider = stack.activations.provider
    pixels = _random_pixels(4).tobytes()
    before = provider.inference_calls

    async def burst() -> list[bytes]:
        async with grpc.aio.insecure_channel(
            stack.activations_target, options=[("grpc.max_receive_message_length", 1 << 26)]
        ) as channel:
            stub = activations_pb2_grpc.ActivationServiceStub(channel)  # type: ignore[no-untyped-call]
            request = activations_pb2.GetActivationsRequest(model_name="tiny_vgg", pixels=pixels)
            replies = await asyncio.gather(
                *(stub.GetActivations(request, timeout=60) for _ in range(50))
            )
            return [reply.SerializeToString() for reply in replies]

    replies = asyncio.run(burst())
    assert provider.inference_calls == before + 1
    assert len(set(replies)) == 1


def test_example_by_id_then_by_digest(stack: Stack) -> None:
    by_id = _get(stack, example_id="val_1083")
    assert len(by_id.input_pixels) == 64 * 64 * 3
    by_digest = _get(stack, image_digest=by_id.image_digest)
    assert by_digest == by_id


def test_example_digest_is_recomputed_after_the_cache_forgets(stack: Stack) -> None:
    example = _get(stack, example_id="val_1097")
    client = redis.Redis.from_url(stack.redis.url)
    for key in client.scan_iter(f"{stack.prefix}:*{example.image_digest}*"):
        client.delete(key)
    assert _get(stack, image_digest=example.image_digest) == example


@pytest.mark.parametrize(
    ("image", "code", "fragment"),
    [
        ({"image_digest": "ab" * 32}, grpc.StatusCode.NOT_FOUND, "send the picture again"),
        ({"image_digest": "not-hex"}, grpc.StatusCode.INVALID_ARGUMENT, "64 hexadecimal"),
        ({"example_id": "val_nope"}, grpc.StatusCode.NOT_FOUND, "no example"),
        ({"pixels": b"\x00" * 100}, grpc.StatusCode.INVALID_ARGUMENT, "64x64x3"),
        ({}, grpc.StatusCode.INVALID_ARGUMENT, "Name an image"),
    ],
)
def test_bad_requests(
    stack: Stack, image: dict[str, object], code: grpc.StatusCode, fragment: str
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _get(stack, **image)
    assert caught.value.code() == code
    assert fragment in (caught.value.details() or "")


def test_unknown_model_and_version(stack: Stack) -> None:
    stub = _stub(stack)
    for request in (
        activations_pb2.GetActivationsRequest(model_name="nope", pixels=b"\x00" * 12288),
        activations_pb2.GetActivationsRequest(
            model_name="tiny_vgg", model_version=9, pixels=b"\x00" * 12288
        ),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetActivations(request, timeout=30)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_describe_and_list_models(stack: Stack) -> None:
    stub = _stub(stack)
    description = stub.DescribeModel(activations_pb2.DescribeModelRequest(model_name="tiny_vgg"))
    assert description.model_version == 1 and list(description.available_versions) == [1]
    assert json.loads(description.description_json)["layers"][1]["name"] == "conv_1_1"
    assert len(description.weights) == 19920 * 4
    listed = stub.ListModels(activations_pb2.ListModelsRequest())
    assert [(m.model_name, list(m.available_versions)) for m in listed.models] == [
        ("tiny_vgg", [1])
    ]


def test_the_cache_bound_survives_a_redis_restart(tmp_path: Path) -> None:
    """The bound is on Redis' command line (services/runner.py), never CONFIG SET by the
    activation service, so a restarted Redis is bounded again and evicts, not refuses."""
    server = RedisProcess(tmp_path, max_memory="8mb")
    server.start()
    try:
        for _ in range(2):
            client = redis.Redis.from_url(server.url)
            config = client.config_get("maxmemory*")
            assert config["maxmemory"] == str(8 * 1024 * 1024)
            assert config["maxmemory-policy"] == "allkeys-lru"
            for index in range(40):  # 40 MB into 8 MB: the oldest are evicted
                client.set(f"bundle:{index}", b"x" * 2**20)
            assert client.dbsize() < 40
            client.close()
            server.stop()
            server.start()
    finally:
        server.stop()


def test_a_hung_redis_costs_one_timeout_then_nothing(tmp_path: Path) -> None:
    """SIGSTOPped Redis (accepts connections, never answers): the first cache call waits
    for its socket timeout, the next ones are skipped by the circuit breaker."""
    server = RedisProcess(tmp_path)
    server.start()
    assert server.process is not None
    pid = server.process.pid
    cache = BundleCache.from_url(server.url, "hung")

    async def calls() -> list[float]:
        took = []
        await cache.put("k", b"v")
        os.kill(pid, signal.SIGSTOP)
        try:
            for _ in range(5):
                began = time.perf_counter()
                assert await cache.get("k") is None
                assert await cache.try_lock("k") is True
                await cache.put("k", b"w")
                took.append(time.perf_counter() - began)
        finally:
            os.kill(pid, signal.SIGCONT)
        await asyncio.sleep(5.2)  # the breaker lets one call through again
        assert await cache.get("k") == b"v"
        await cache.close()
        return took

    try:
        took = asyncio.run(calls())
    finally:
        server.stop()
    # Bounds far from the expected 0.5 s and 0 s (one read timeout, then no call at all).
    assert took[0] < 3, took
    assert max(took[1:]) < 0.5, took


def _cache_health(stack: Stack) -> int:
    channel = grpc.insecure_channel(stack.activations_target)
    request = health_pb2.HealthCheckRequest(service="cnn101.v1.ActivationCache")
    return int(health_pb2_grpc.HealthStub(channel).Check(request, timeout=10).status)


def test_redis_down_still_correct_then_recovers(stack: Stack) -> None:
    pixels = _random_pixels(5)
    provider = stack.activations.provider
    stack.redis.stop()
    try:
        down = _get(stack, pixels=pixels.tobytes())
        calls = provider.inference_calls
        again = _get(stack, pixels=pixels.tobytes())
        assert again == down  # correct, computed again since nothing could be cached
        assert provider.inference_calls == calls + 1
        wait_until(
            lambda: _cache_health(stack) == health_pb2.HealthCheckResponse.NOT_SERVING,
            "health reports the cache degraded",
        )
    finally:
        stack.redis.start()
    wait_until(
        lambda: _cache_health(stack) == health_pb2.HealthCheckResponse.SERVING,
        "health reports the cache back",
    )
    _get(stack, pixels=pixels.tobytes())
    calls = provider.inference_calls
    _get(stack, pixels=pixels.tobytes())
    assert provider.inference_calls == calls  # cached again
    expected = stack.bundle.activations(pixels[np.newaxis].astype(np.float32) / np.float32(255))
    assert_served_matches(read_tensors(down)["conv_2_2"], expected["conv_2_2"][0], "conv_2_2")


def test_inference_down_is_unavailable_then_recovers(stack: Stack) -> None:
    stack.inference.stop(grace=0)
    try:
        with pytest.raises(grpc.RpcError) as caught:
            _get(stack, pixels=_random_pixels(6).tobytes())
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "try again" in (caught.value.details() or "")
    finally:
        stack.restart_inference()
    wait_until(
        lambda: len(_get(stack, pixels=_random_pixels(6).tobytes()).tensors) == 6,
        "activations are computed again",
    )


def test_a_key_another_replica_is_filling_is_awaited_not_recomputed(stack: Stack) -> None:
    provider = stack.activations.provider
    pixels = _random_pixels(12)
    fingerprint = provider.description("tiny_vgg", 1)["fingerprint"]
    key = f"{stack.prefix}:bundle:tiny_vgg:1:{fingerprint}:{pixels_digest(pixels)}"
    client = redis.Redis.from_url(stack.redis.url)
    client.set(f"{key}:lock", b"1", px=10_000)  # "another replica" holds the fill lock
    before = provider.inference_calls

    async def request_then_fill() -> bytes:
        async with grpc.aio.insecure_channel(stack.activations_target) as channel:
            raw_call = channel.unary_unary(
                "/cnn101.v1.ActivationService/GetActivations",
                request_serializer=activations_pb2.GetActivationsRequest.SerializeToString,
                response_deserializer=lambda data: data,
            )
            request = activations_pb2.GetActivationsRequest(
                model_name="tiny_vgg", pixels=pixels.tobytes()
            )
            pending = asyncio.ensure_future(raw_call(request, timeout=30))
            await asyncio.sleep(0.3)
            client.set(key, b"filled elsewhere")  # the other replica's result arrives
            reply: bytes = await pending
            return reply

    # The waiting request returns the other replica's bytes verbatim: it neither computed
    # the bundle itself nor re-encoded what it found.
    assert asyncio.run(request_then_fill()) == b"filled elsewhere"
    assert provider.inference_calls == before
    client.delete(key, f"{key}:lock")

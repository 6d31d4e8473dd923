"""A Predict stops when its caller gives up, and one too large is refused before it runs.

The server computes a batch in chunks and looks at the call between them, so a deadline
or a cancellation ends the work (and frees its tensors) instead of computing for nobody.
What is checked is the server's own account of its work (chunks computed, calls in
flight), not only the status the client sees.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import grpc
import numpy as np
import pytest

from services.inference.server import InferenceServer
from tests.inference.client import (
    SERVING,
    Client,
    connect,
    images,
    outputs_of,
    predict_request,
    start_server,
    wait_until,
)
from tests.inference.conftest import Exported

# Small chunks: the 1000-image batch then takes long enough (about 500 calls) for a deadline
# or a cancel to meet it mid-computation, also on a fast runtime and a quiet machine.
CHUNK = 2
BIG_BATCH = 1000
STOP_BOUND = 3.0  # seconds after the deadline; the real figure is in bench_inference_limits.py


@pytest.fixture(scope="module")
def uncapped(exported: Exported) -> Iterator[tuple[InferenceServer, Client]]:
    """A server that accepts 1000-image batches, so deadlines meet a long computation: on
    TensorFlow, since LiteRT computes the whole batch within the 0.5 s deadline (the chunk
    loop that stops a batch is the same for both runtimes)."""
    server, port = start_server(
        exported.base_path,
        inference_max_batch=BIG_BATCH,
        inference_chunk_images=CHUNK,
        inference_runtime="tensorflow",
    )
    client = connect(port)
    wait_until(lambda: client.health_status() == SERVING, "the server serves")
    yield server, client
    client.channel.close()
    server.stop(grace=0)


@pytest.fixture(scope="module")
def small_messages(exported: Exported) -> Iterator[tuple[InferenceServer, Client]]:
    """A server whose send limit is 8 MiB: 11 images' activations of tiny_vgg do not fit."""
    server, port = start_server(exported.base_path, inference_max_message_bytes=8 * 1024 * 1024)
    client = connect(port)
    wait_until(lambda: client.health_status() == SERVING, "the server serves")
    yield server, client
    client.channel.close()
    server.stop(grace=0)


def failure(client: Client, request: Any, timeout: float = 60) -> tuple[Any, str]:
    with pytest.raises(grpc.RpcError) as raised:
        client.predict.Predict(request, timeout=timeout)
    return raised.value.code(), str(raised.value.details())


def idle(server: InferenceServer) -> bool:
    return server.stats.in_flight == 0


def test_the_issues_deadline_leaves_the_server_idle_within_a_second(
    uncapped: tuple[InferenceServer, Client],
) -> None:
    """The issue's case: a 1000-image Predict with a 0.5 s deadline (before: 5.5 s of work
    after the client gave up). Today the batch may finish within the deadline; either way
    the server is idle within 1 s of it."""
    server, client = uncapped
    wait_until(lambda: idle(server), "the server is idle")
    request = predict_request("tiny_vgg", images(BIG_BATCH))
    start = time.monotonic()
    try:
        client.predict.Predict(request, timeout=0.5)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    wait_until(lambda: idle(server), "the server stops working", timeout=30)
    assert time.monotonic() - (start + 0.5) < 1.0


def test_a_deadline_stops_the_computation(uncapped: tuple[InferenceServer, Client]) -> None:
    """A deadline of half the time the whole batch takes here passes while chunks are being
    computed: the rest is not computed. On a loaded machine the deadline may pass while the
    49 MB request is still arriving, and gRPC then never hands it to the server: that try
    proves nothing, so it is made again with a longer deadline (at most three tries)."""
    server, client = uncapped
    start = time.monotonic()
    client.predict.Predict(predict_request("tiny_vgg", images(BIG_BATCH)), timeout=120)
    timeout = (time.monotonic() - start) / 2
    request = predict_request("tiny_vgg", images(BIG_BATCH))
    for _ in range(3):
        wait_until(lambda: idle(server), "the server is idle")
        chunks_before = server.stats.chunks_computed
        stopped_before = dict(server.stats.stopped)
        start = time.monotonic()
        code, _ = failure(client, request, timeout=timeout)
        deadline = start + timeout
        assert code == grpc.StatusCode.DEADLINE_EXCEEDED
        time.sleep(0.5)  # a request still being read would reach the handler by now
        wait_until(lambda: idle(server), "the server stops working", timeout=30)
        if server.stats.chunks_computed > chunks_before:
            break
        timeout *= 1.5  # it never reached the server: try again
    else:
        raise AssertionError("the request never reached the server before its deadline")
    stopped_after = time.monotonic() - deadline

    assert stopped_after < STOP_BOUND
    computed = server.stats.chunks_computed - chunks_before
    assert computed < math.ceil(BIG_BATCH / CHUNK)  # it did not finish the batch
    # One stop, for the deadline: the server sees it as DEADLINE_EXCEEDED, or, when the
    # client's expiry reaches it before its own clock passes the deadline (a loaded
    # machine, in the CI run on 9d7967e), as the client's cancellation.
    stops = {
        code: count - stopped_before.get(code, 0)
        for code, count in server.stats.stopped.items()
        if count != stopped_before.get(code, 0)
    }
    assert stops in ({"DEADLINE_EXCEEDED": 1}, {"CANCELLED": 1}), stops
    time.sleep(0.5)
    assert server.stats.chunks_computed - chunks_before == computed  # and nothing after


def test_a_cancelled_call_stops_the_computation(uncapped: tuple[InferenceServer, Client]) -> None:
    server, client = uncapped
    request = predict_request("tiny_vgg", images(BIG_BATCH))
    wait_until(lambda: idle(server), "the server is idle")
    chunks_before = server.stats.chunks_computed
    stopped_before = server.stats.stopped.get("CANCELLED", 0)

    call = client.predict.Predict.future(request, timeout=60)
    wait_until(lambda: server.stats.chunks_computed > chunks_before, "computing started")
    assert call.cancel()
    cancelled = time.monotonic()
    wait_until(
        lambda: server.stats.stopped.get("CANCELLED", 0) > stopped_before and idle(server),
        "the server stops working",
        timeout=30,
    )

    assert time.monotonic() - cancelled < STOP_BOUND
    assert server.stats.chunks_computed - chunks_before < math.ceil(BIG_BATCH / CHUNK)
    assert server.stats.stopped.get("CANCELLED", 0) == stopped_before + 1


def test_the_server_answers_after_stopped_calls(uncapped: tuple[InferenceServer, Client]) -> None:
    _, client = uncapped
    response = client.predict.Predict(predict_request("tiny_vgg", images(3)), timeout=60)
    assert outputs_of(response)["probabilities"].shape == (3, 10)


@pytest.mark.parametrize(
    ("batch", "signature", "limit"),
    [(257, "", 256), (65, "activations", 64)],
    ids=["serving_default", "activations"],
)
def test_a_batch_over_the_cap_is_refused_before_computing(
    served: tuple[InferenceServer, Client], batch: int, signature: str, limit: int
) -> None:
    server, client = served
    chunks_before = server.stats.chunks_computed
    request = predict_request("tiny_vgg", images(batch), signature=signature)
    code, message = failure(client, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT, message
    assert str(batch) in message and f"at most {limit} images" in message
    assert "CNN101_INFERENCE_MAX_BATCH" in message
    assert server.stats.chunks_computed == chunks_before


def test_a_batch_at_the_cap_is_computed(served: tuple[InferenceServer, Client]) -> None:
    _, client = served
    request = predict_request("tiny_vgg", images(64), signature="activations")
    response = client.predict.Predict(request, timeout=120)
    assert outputs_of(response)["conv_1_1"].shape == (64, 62, 62, 10)


def test_a_response_over_the_send_limit_is_resource_exhausted(
    small_messages: tuple[InferenceServer, Client],
) -> None:
    server, client = small_messages
    chunks_before = server.stats.chunks_computed
    request = predict_request("tiny_vgg", images(20), signature="activations")
    code, message = failure(client, request)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED, message
    assert "8388608 bytes" in message  # the limit
    assert "at most 11 images" in message  # 761,920 bytes of activations per image
    assert server.stats.chunks_computed == chunks_before


def test_an_output_filter_makes_a_response_small_enough(
    small_messages: tuple[InferenceServer, Client], exported: Exported
) -> None:
    _, client = small_messages
    inputs = images(20, seed=3)
    request = predict_request(
        "tiny_vgg", inputs, signature="activations", output_filter=["max_pool_2", "softmax"]
    )
    outputs = outputs_of(client.predict.Predict(request, timeout=60))
    expected = exported.bundles[("tiny_vgg", 2)].activations(inputs)
    assert set(outputs) == {"max_pool_2", "softmax"}
    np.testing.assert_allclose(outputs["softmax"], expected["softmax"], rtol=0, atol=1e-6)


def test_chunks_are_put_back_together_in_order(
    uncapped: tuple[InferenceServer, Client], exported: Exported
) -> None:
    server, client = uncapped
    inputs = images(2 * CHUNK + 1, seed=4)
    chunks_before = server.stats.chunks_computed
    response = client.predict.Predict(predict_request("tiny_vgg", inputs), timeout=60)
    assert server.stats.chunks_computed - chunks_before == 3
    expected = exported.bundles[("tiny_vgg", 2)].probabilities(inputs)
    probabilities = outputs_of(response)["probabilities"]
    assert probabilities.shape == (2 * CHUNK + 1, 10)
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=1e-6)


def test_output_sizes_count_the_bytes_of_one_image_of_each_batched_output() -> None:
    from tensorflow.core.protobuf import meta_graph_pb2

    from services.inference.models import output_sizes

    signature = meta_graph_pb2.SignatureDef()
    batched = signature.outputs["maps"]
    batched.dtype = 1  # float32
    for size in (-1, 30, 30, 10):
        batched.tensor_shape.dim.add().size = size
    open_width = signature.outputs["probabilities"]
    open_width.dtype = 2  # float64
    for size in (-1, -1):  # an open dimension counts as 1
        open_width.tensor_shape.dim.add().size = size
    fixed = signature.outputs["classes"]
    fixed.dtype = 3  # int32, no batch dimension: left to the fixed allowance
    fixed.tensor_shape.dim.add().size = 10
    unknown = signature.outputs["unknown"]
    unknown.dtype = 1
    unknown.tensor_shape.unknown_rank = True
    assert output_sizes(signature) == {"maps": 4 * 9000, "probabilities": 8, "classes": 0}

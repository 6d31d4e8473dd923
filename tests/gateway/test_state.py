"""The gateway's shared state: the newest version is fetched once however many ask."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from services.gateway.activations_client import ActivationsClient, ModelVersion
from services.gateway.state import GatewayState


class CountingClient:
    """Stands in for the activation service's describe call (the logic under test is ours)."""

    def __init__(self) -> None:
        self.calls = 0

    async def describe(self, model_name: str, version: int = 0) -> ModelVersion:
        self.calls += 1
        await asyncio.sleep(0.05)
        return ModelVersion(model_name, self.calls, {}, b"", [self.calls])


def _state(client: CountingClient) -> GatewayState:
    unused = cast(Any, None)
    return GatewayState(
        settings=unused,
        client=cast(ActivationsClient, client),
        examples=unused,
        bundles=unused,
        jobs=unused,
        evaluation=unused,
        studio=unused,
        study_forwarder=unused,
        studio_forwarder=unused,
        decoder=unused,
    )


def test_simultaneous_requests_share_one_refresh_of_the_newest_version() -> None:
    client = CountingClient()
    state = _state(client)

    async def class_arrives() -> list[int]:
        answers = await asyncio.gather(*(state.model_version("m", 0) for _ in range(100)))
        return [answer.version for answer in answers]

    assert asyncio.run(class_arrives()) == [1] * 100
    assert client.calls == 1


def test_a_failed_refresh_reaches_every_waiter_and_the_next_one_retries() -> None:
    client = CountingClient()
    state = _state(client)
    failing = True

    async def describe(model_name: str, version: int = 0) -> ModelVersion:
        client.calls += 1
        await asyncio.sleep(0.01)
        if failing:
            raise ConnectionError("activation service away")
        return ModelVersion(model_name, 7, {}, b"", [7])

    client.describe = describe  # type: ignore[method-assign]

    async def scenario() -> tuple[list[ModelVersion | BaseException], int]:
        nonlocal failing
        first = await asyncio.gather(
            *(state.model_version("m", 0) for _ in range(10)), return_exceptions=True
        )
        failing = False
        return first, (await state.model_version("m", 0)).version

    errors, version = asyncio.run(scenario())
    assert all(isinstance(error, ConnectionError) for error in errors)
    assert version == 7 and client.calls == 2

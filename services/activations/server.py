"""The activation-cache gRPC server (``cnn101.v1.ActivationService``), port 8510.

``GetActivations`` answers with the bundle's serialised bytes as stored in Redis: its
handler is registered with a pass-through serialiser, so a cache hit costs one Redis GET
and no protobuf work. Clients may still use the generated stub, which parses the bytes.

Health (``grpc.health.v1``): ``""`` and ``cnn101.v1.ActivationService`` are SERVING once
the server runs (answers stay correct without Redis); ``cnn101.v1.ActivationCache`` is
NOT_SERVING while Redis is unreachable, which is how "degraded" is reported.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc
from cnn101.v1 import activations_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.activations.cache import BundleCache
from services.activations.inference_client import CHANNEL_OPTIONS, InferenceClient
from services.activations.provider import (
    ActivationProvider,
    ImageRef,
    InvalidImageError,
    ModelChangingError,
    NotFoundError,
)
from services.activations.settings import ActivationSettings
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.examples import ExampleCatalog

log = logging.getLogger(__name__)

SERVICE_NAME = "cnn101.v1.ActivationService"
CACHE_HEALTH_NAME = "cnn101.v1.ActivationCache"
HEALTH_POLL_SECONDS = 1.0


def _passthrough(data: bytes) -> bytes:
    return data


async def _abort_on_error(
    context: grpc.aio.ServicerContext, call: Callable[[], Awaitable[bytes]]
) -> bytes:
    """Map the provider's errors and downstream failures to gRPC status codes."""
    try:
        return await call()
    except NotFoundError as error:
        await context.abort(grpc.StatusCode.NOT_FOUND, str(error))
    except ModelChangingError as error:
        await context.abort(grpc.StatusCode.UNAVAILABLE, str(error))
    except InvalidImageError as error:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
    except grpc.aio.AioRpcError as error:
        if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            await context.abort(error.code(), error.details() or "")
        await context.abort(
            grpc.StatusCode.UNAVAILABLE,
            f"The inference service did not answer ({error.code().name}); try again shortly.",
        )
    raise AssertionError("unreachable")  # context.abort always raises


def _handler(provider: ActivationProvider) -> grpc.GenericRpcHandler:
    async def get_activations(
        request: activations_pb2.GetActivationsRequest, context: grpc.aio.ServicerContext
    ) -> bytes:
        which = request.WhichOneof("image")
        image = ImageRef(**{which: getattr(request, which)}) if which else ImageRef()
        return await _abort_on_error(
            context,
            lambda: provider.bundle(
                request.model_name, request.model_version, image, request.all_layers
            ),
        )

    async def describe_model(
        request: activations_pb2.DescribeModelRequest, context: grpc.aio.ServicerContext
    ) -> bytes:
        async def describe() -> bytes:
            versions = await provider.versions(request.model_name)
            version = request.model_version or versions[-1]
            if version not in versions:
                raise NotFoundError(f"Model {request.model_name!r} has no version {version}.")
            description = provider.description(request.model_name, version)
            return activations_pb2.ModelDescription(
                model_name=request.model_name,
                model_version=version,
                description_json=json.dumps(description),
                available_versions=versions,
                weights=provider.weights(request.model_name, version),
            ).SerializeToString()

        return await _abort_on_error(context, describe)

    async def list_models(
        request: activations_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> bytes:
        async def list_served() -> bytes:
            served = await provider.models()
            return activations_pb2.ModelList(
                models=[
                    activations_pb2.ModelSummary(model_name=name, available_versions=versions)
                    for name, versions in served.items()
                ]
            ).SerializeToString()

        return await _abort_on_error(context, list_served)

    return grpc.method_handlers_generic_handler(
        SERVICE_NAME,
        {
            "GetActivations": grpc.unary_unary_rpc_method_handler(
                get_activations,
                request_deserializer=activations_pb2.GetActivationsRequest.FromString,
                response_serializer=_passthrough,
            ),
            "DescribeModel": grpc.unary_unary_rpc_method_handler(
                describe_model,
                request_deserializer=activations_pb2.DescribeModelRequest.FromString,
                response_serializer=_passthrough,
            ),
            "ListModels": grpc.unary_unary_rpc_method_handler(
                list_models,
                request_deserializer=activations_pb2.ListModelsRequest.FromString,
                response_serializer=_passthrough,
            ),
        },
    )


@dataclass
class RunningServer:
    """A started server and what it owns, so tests and ``main`` stop it the same way."""

    server: grpc.aio.Server
    port: int
    provider: ActivationProvider
    cache: BundleCache
    health: health.aio.HealthServicer
    _inference: InferenceClient
    _watcher: asyncio.Task[None]

    async def stop(self, grace: float = 5.0) -> None:
        await self.health.enter_graceful_shutdown()
        self._watcher.cancel()
        await self.server.stop(grace)
        await self._inference.close()
        await self.cache.close()


async def _watch_cache(cache: BundleCache, health_servicer: health.aio.HealthServicer) -> None:
    serving = health_pb2.HealthCheckResponse.SERVING
    not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
    while True:
        healthy = await cache.ping()
        await health_servicer.set(CACHE_HEALTH_NAME, serving if healthy else not_serving)
        await asyncio.sleep(HEALTH_POLL_SECONDS)


async def _report_bound(cache: BundleCache) -> None:
    """Say in the log when the cache's Redis is unbounded or keeps keys it should evict
    (its bound is Redis' own configuration, never set from here: services/activations/cache.py)."""
    policy = await cache.eviction_policy()
    if policy is None:
        return
    max_memory, eviction = policy
    if max_memory == 0 or not eviction.startswith("allkeys-"):
        log.warning(
            "the cache's Redis has maxmemory %d and policy %r: bundles are bounded only by "
            "their expiry; give the cache a Redis of its own with --maxmemory and "
            "--maxmemory-policy allkeys-lru (CNN101_CACHE_REDIS_URL)",
            max_memory,
            eviction,
        )
    else:
        log.info("the cache's Redis is bounded: maxmemory %d, %s", max_memory, eviction)


async def build_server(settings: ActivationSettings) -> RunningServer:
    """Start the server on ``settings``' host and port (0 picks a free port)."""
    cache = BundleCache.from_url(
        settings.cache_redis_url or settings.redis_url,
        settings.cache_prefix,
        settings.cache_ttl_seconds,
    )
    await _report_bound(cache)
    inference = InferenceClient(settings.inference_target, settings.inference_timeout_seconds)
    examples = ExampleCatalog.from_data_dir(settings.data_dir, CNN101_CLASSES)
    provider = ActivationProvider(inference, cache, examples, settings.model_base_path)

    server = grpc.aio.server(options=CHANNEL_OPTIONS)
    server.add_generic_rpc_handlers((_handler(provider),))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port(f"{settings.activations_host}:{settings.activations_port}")
    await server.start()
    for name in ("", SERVICE_NAME):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    watcher = asyncio.create_task(_watch_cache(cache, health_servicer))
    return RunningServer(server, port, provider, cache, health_servicer, inference, watcher)


async def serve(settings: ActivationSettings) -> None:
    running = await build_server(settings)
    log.info("activation service listening on %s:%d", settings.activations_host, running.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await running.stop()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(ActivationSettings()))


if __name__ == "__main__":
    main()

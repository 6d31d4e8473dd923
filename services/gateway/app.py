"""The gateway: one FastAPI app on one port for everything a student's browser needs.

``create_app(settings)`` builds it; clients and caches are made in the lifespan, never at
import time, so tests start it against their own services. ``python -m
services.gateway.app`` serves it with uvicorn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
import uvicorn
from cachetools import LRUCache
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from prometheus_client import CollectorRegistry
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from services.common.body_limit import (
    MULTIPART_OVERHEAD_BYTES,
    BodyLimit,
    BodySizeLimit,
    studio_upload_limits,
)
from services.common.cross_site import CrossSiteGuard
from services.common.jobs import TaskSender
from services.common.process import end_with_uvicorn_master, raise_open_file_limit
from services.common.security_headers import SecurityHeaders
from services.common.static_layout import URL_PREFIX
from services.gateway.activations_client import ActivationsClient
from services.gateway.decode_pool import DecodePool
from services.gateway.errors import install_error_handlers
from services.gateway.forwarding import UPSTREAM_KEEPALIVE_SECONDS, Forwarder
from services.gateway.middleware import RequestMetrics
from services.gateway.presentations import PresentationHub
from services.gateway.published import PublishedModels
from services.gateway.rate_limits import RateLimits
from services.gateway.routes import (
    activations,
    examples,
    health,
    material,
    models,
    presentations,
    study,
    tasks,
)
from services.gateway.settings import GatewaySettings
from services.gateway.state import GatewayState
from services.gateway.static import PrecompressedStaticFiles
from services.gateway.static_bundles import StaticBundleFiles
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.examples import ExampleCatalog

SPA_MISSING = """<!doctype html><html lang="en"><meta charset="utf-8"><title>CNN 101</title>
<body><h1>CNN 101</h1><p>The gateway is running, but the explorer app has not been built.
The API is at <a href="/docs">/docs</a>.</p></body></html>"""


def _forwarding_client(base_url: str, timeout: float) -> httpx.AsyncClient:
    """A client for a service behind the gateway, forwarding each browser's own cookie and
    never keeping one (it would be sent for everyone)."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        limits=httpx.Limits(
            max_connections=100,  # httpx's defaults
            max_keepalive_connections=20,
            keepalive_expiry=UPSTREAM_KEEPALIVE_SECONDS,
        ),
    )


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The gateway app for ``settings`` (read from the environment when None)."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        evaluation = _forwarding_client(
            settings.evaluation_url, settings.evaluation_timeout_seconds
        )
        studio = _forwarding_client(settings.studio_url, settings.studio_timeout_seconds)
        jobs = TaskSender(settings.broker_url, settings.result_backend)
        client = ActivationsClient(
            settings.activations_target,
            settings.activations_timeout_seconds,
            settings.retry_after_seconds,
        )
        app.state.gateway = GatewayState(
            settings=settings,
            client=client,
            examples=ExampleCatalog.from_data_dir(settings.data_dir, CNN101_CLASSES),
            bundles=LRUCache(maxsize=settings.bundle_memory_bytes, getsizeof=len),
            evaluation=evaluation,
            studio=studio,
            study_forwarder=Forwarder(settings.evaluation_url, settings.evaluation_timeout_seconds),
            studio_forwarder=Forwarder(settings.studio_url, settings.studio_timeout_seconds),
            jobs=jobs,
            decoder=DecodePool(
                settings.decode_workers or None,
                settings.max_waiting_decodes,
                settings.retry_after_seconds,
            ),
        )
        app.state.published = PublishedModels(
            studio, settings.model_name, settings.published_models_ttl_seconds
        )
        hub = PresentationHub(
            settings.redis_url,
            settings.cache_prefix,
            settings.presentation_ttl_seconds,
            settings.presentation_heartbeat_seconds,
        )
        await hub.start()
        app.state.presentations = hub
        try:
            yield
        finally:
            await hub.close()
            await client.close()
            await evaluation.aclose()
            await studio.aclose()
            await app.state.gateway.study_forwarder.close()
            await app.state.gateway.studio_forwarder.close()
            jobs.close()
            app.state.gateway.decoder.close()

    app = FastAPI(
        title="CNN 101 gateway",
        version="0.1.0",
        summary="Models, example images and activation bundles for the CNN 101 explorer.",
        lifespan=lifespan,
    )
    registry = CollectorRegistry()
    app.state.metrics_registry = registry
    install_error_handlers(app)
    routers = (
        models.router,
        examples.router,
        activations.router,
        tasks.router,
        material.router,  # before study.router: its paths stream, the catch-all buffers
        study.router,
        presentations.router,
        health.router,
    )
    for router in routers:
        app.include_router(router)
    # The worker's pre-rendered example bundles and sprites (immutable, named by digest).
    app.mount(
        URL_PREFIX,
        StaticBundleFiles(settings.static_root, settings.static_memory_bytes),
        name="static-bundles",
    )
    if (settings.spa_dir / "index.html").is_file():
        app.mount("/", PrecompressedStaticFiles(directory=settings.spa_dir, html=True), name="spa")
    else:

        @app.get("/", response_class=HTMLResponse, include_in_schema=False)
        async def spa_missing() -> str:
            return SPA_MISSING

    # JSON (the example list, model descriptions, study pages' data) shrinks 5-10x; bundles
    # and weights are float32 that gzip barely shrinks, and leave the cache byte for byte.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=1024,
        compresslevel=6,
        exclude_content_types=(
            *DEFAULT_EXCLUDED_CONTENT_TYPES,
            "application/x-protobuf",
            "application/octet-stream",
            "application/pdf",  # study material: already compressed, and Range-served
        ),
    )
    app.add_middleware(RequestMetrics, registry=registry)
    app.add_middleware(
        BodySizeLimit,
        default=BodyLimit(
            settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES, "Choose a smaller picture."
        ),
        paths={
            **studio_upload_limits(settings.studio_max_zip_bytes, settings.studio_max_import_bytes),
            material.UPLOAD_PATH: BodyLimit(
                settings.max_material_bytes, "A PDF may be 50 MB and a video 500 MB."
            ),
        },
    )
    app.add_middleware(
        RateLimits,
        redis_url=settings.redis_url,
        key_prefix=settings.cache_prefix,
        scale=settings.rate_limit_scale,
    )
    # Outermost: a cross-site write is refused before anything runs, and carries the headers.
    app.add_middleware(CrossSiteGuard)
    app.add_middleware(SecurityHeaders)
    return app


def create_worker_app() -> FastAPI:
    """The app as each uvicorn process runs it; a worker process (``gateway_workers`` > 1)
    dies with uvicorn's master."""
    end_with_uvicorn_master()
    return create_app()


# A browser keeps its connection through a student's think time (a quiz answer every few
# seconds) only if the server does: at uvicorn's 5 s most answers of a class opened a new
# connection (57,000 in the 1,000-student load test, for 77,000 requests).
KEEP_ALIVE_SECONDS = 20


def uvicorn_options(settings: GatewaySettings) -> dict[str, Any]:
    """How uvicorn serves the app: the caller's address from a reverse proxy's
    X-Forwarded-For, believed only from ``gateway_trusted_proxies`` (the rate limits key on
    ``scope["client"]``, and the study service is told it)."""
    return {
        "host": settings.gateway_host,
        "port": settings.gateway_port,
        "workers": settings.gateway_workers,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.gateway_trusted_proxies,
        "log_level": "info",
        "access_log": False,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        # A worker process imports TensorFlow-free but heavy modules (Celery, SciPy): on a
        # busy machine that outlasts uvicorn's 5 s ping and it would kill healthy workers.
        "timeout_worker_healthcheck": 30,
        # Followers' event streams never end by themselves: do not wait for them forever.
        "timeout_graceful_shutdown": 5,
    }


def main() -> None:
    settings = GatewaySettings()
    raise_open_file_limit()  # a class keeps its connections open
    uvicorn.run("services.gateway.app:create_worker_app", factory=True, **uvicorn_options(settings))


if __name__ == "__main__":
    main()

"""The model-studio service: ``python -m services.studio.app`` serves it on port 8002.

``create_app(settings)`` builds it; the engine, the client that asks the study service who
is signed in, and the job queue are made in the lifespan, never at import time, so tests
start it against their own database, study service and broker.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from services.common.body_limit import BodyLimit, BodySizeLimit, studio_upload_limits
from services.common.cross_site import CrossSiteGuard
from services.common.errors import install_error_handlers
from services.common.private_responses import NoStoreByDefault
from services.database import health
from services.database.engine import make_engine, make_session_factory
from services.database.http_errors import install_database_error_handlers
from services.database.schema import utcnow
from services.studio.dataset_checks import DatasetChecker, dataset_limits
from services.studio.deps import Clock
from services.studio.job_queue import CeleryModelJobQueue, ModelJobQueue
from services.studio.migrations import upgrade_database
from services.studio.routes import audit, datasets, jobs, models
from services.studio.settings import StudioSettings, load_settings

logger = logging.getLogger("studio")


def create_app(
    settings: StudioSettings | None = None,
    clock: Clock = utcnow,
    model_queue: ModelJobQueue | None = None,
) -> FastAPI:
    """The studio app for ``settings`` (read from the environment when None)."""
    settings = settings or StudioSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.studio_database_url)
        if settings.studio_migrate_on_start:
            upgrade_database(engine)
        app.state.session_factory = make_session_factory(engine)
        checker = DatasetChecker(
            app.state.session_factory,
            dataset_limits(settings),
            clock,
            settings.studio_dataset_check_workers,
            settings.studio_dataset_check_seconds,
        )
        app.state.dataset_checker = checker
        if resumed := checker.resume():
            logger.info("checking again %d data set(s) left unchecked by a stop", resumed)
        app.state.model_queue = model_queue or CeleryModelJobQueue(settings.broker_url)
        app.state.evaluation = httpx.AsyncClient(
            base_url=settings.evaluation_url, timeout=settings.evaluation_timeout_seconds
        )
        try:
            yield
        finally:
            await checker.close()
            await app.state.evaluation.aclose()
            engine.dispose()

    app = FastAPI(
        title="CNN 101 model studio",
        version="0.1.0",
        summary="Instructors' data sets, training and import jobs, and published models.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.add_middleware(
        BodySizeLimit,
        default=BodyLimit(settings.studio_max_body_bytes),
        paths=studio_upload_limits(settings.studio_max_zip_bytes, settings.studio_max_import_bytes),
    )
    app.add_middleware(CrossSiteGuard)
    app.add_middleware(NoStoreByDefault)
    install_error_handlers(app, unexpected_message="unexpected error; nothing was changed")
    install_database_error_handlers(app)
    for router in (models.router, datasets.router, jobs.router, audit.router):
        app.include_router(router)

    app.include_router(health.router)

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    uvicorn.run(
        create_app(settings),
        host=settings.studio_host,
        port=settings.studio_port,
        proxy_headers=True,
        forwarded_allow_ips=settings.studio_trusted_proxies,
    )


if __name__ == "__main__":
    main()

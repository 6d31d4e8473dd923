"""The evaluation service: ``python -m evaluation.app`` serves it on port 8001."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select, text

from evaluation.admission import AdmissionLimit
from evaluation.auth import LoginThrottle, create_instructor
from evaluation.db import make_engine, make_session_factory
from evaluation.deps import Clock, SessionDep
from evaluation.errors import BodySizeLimit, CrossSiteGuard, install_error_handlers
from evaluation.items.bank import seed_default_items
from evaluation.migrations import upgrade_database
from evaluation.models import Instructor, utcnow
from evaluation.routes import instructor, models, results, student
from evaluation.settings import EvaluationSettings, load_settings

logger = logging.getLogger("evaluation")


def _bootstrap(settings: EvaluationSettings, app: FastAPI) -> None:
    """Seed the item bank; in development, create a first instructor if there is none."""
    with app.state.session_factory() as session:
        if seed_default_items(session):
            logger.info("item bank seeded with the built-in forms A and B")
        email = settings.evaluation_bootstrap_instructor
        first_run = not session.scalar(select(func.count()).select_from(Instructor))
        if settings.env == "development" and email and first_run:
            password = secrets.token_urlsafe(12)
            create_instructor(session, email, password)
            logger.warning("development instructor %s created, password: %s", email, password)


def create_app(settings: EvaluationSettings | None = None, clock: Clock = utcnow) -> FastAPI:
    settings = settings or EvaluationSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.evaluation_database_url)
        if settings.evaluation_migrate_on_start:
            upgrade_database(engine)
        app.state.session_factory = make_session_factory(engine)
        _bootstrap(settings, app)
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(title="CNN 101 evaluation service", lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock
    app.state.login_throttle = LoginThrottle()
    # Multipart framing on top of the model studio's own limits (which it checks itself).
    studio_overhead = 64 * 1024
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.evaluation_max_body_bytes,
        uploads={
            "/api/instructor/datasets": settings.studio_max_zip_bytes + studio_overhead,
            "/api/instructor/models/import": settings.studio_max_import_bytes + studio_overhead,
        },
    )
    app.add_middleware(CrossSiteGuard)
    app.add_middleware(AdmissionLimit)  # see evaluation/admission.py: no pool deadlock
    install_error_handlers(app)
    app.include_router(instructor.router)
    app.include_router(student.router)
    app.include_router(results.router)
    app.include_router(models.router)
    app.include_router(models.student_router)

    @app.get("/health")
    def health(session: SessionDep) -> dict[str, str]:
        """Ready when the database answers."""
        session.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    uvicorn.run(create_app(settings), host=settings.evaluation_host, port=settings.evaluation_port)


if __name__ == "__main__":
    main()

"""The evaluation service: ``python -m evaluation.app`` serves it on port 8001."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from evaluation.admission import AdmissionLimit, admission_limit
from evaluation.auth import create_instructor
from evaluation.deps import Clock
from evaluation.items.bank import seed_default_items
from evaluation.items.refresh import refresh_builtin_items
from evaluation.items.snapshot import StudyFormsCache
from evaluation.login_guard import LoginGuard, default_concurrent_hashes
from evaluation.material_store import material_upload_limit
from evaluation.migrations import upgrade_database
from evaluation.models import Instructor
from evaluation.routes import (
    accounts,
    audit,
    instructor,
    materials,
    planning,
    preregistration,
    results,
    student,
    student_material,
)
from evaluation.settings import EvaluationSettings, load_settings
from evaluation.write_groups import WriteGroups
from services.common.body_limit import BodyLimit, BodySizeLimit
from services.common.cross_site import CrossSiteGuard
from services.common.errors import install_error_handlers
from services.common.private_responses import NoStoreByDefault
from services.common.process import end_with_uvicorn_master
from services.common.secrets import write_private_file
from services.common.security_headers import SecurityHeaders
from services.database import health
from services.database.engine import (
    SessionFactory,
    is_sqlite,
    make_engine,
    make_read_session_factory,
    make_session_factory,
)
from services.database.http_errors import install_database_error_handlers
from services.database.schema import utcnow

logger = logging.getLogger("evaluation")


def prepare_database(settings: EvaluationSettings, engine: Engine) -> None:
    """Migrate (when ``evaluation_migrate_on_start``), seed the item bank and, in
    development, create a first instructor if there is none: once per start, before any
    request (by the master process when several workers serve)."""
    if settings.evaluation_migrate_on_start:
        upgrade_database(engine)
    _bootstrap(settings, make_session_factory(engine))


def _bootstrap(settings: EvaluationSettings, session_factory: SessionFactory) -> None:
    """Seed the item bank; in development, create a first instructor if there is none."""
    with session_factory() as session:
        if seed_default_items(session):
            logger.info("item bank seeded with the built-in forms A and B")
        refresh_builtin_items(session)  # a bank seeded by an older release gets today's forms
        email = settings.evaluation_bootstrap_instructor
        first_run = not session.scalar(select(func.count()).select_from(Instructor))
        if settings.env == "development" and email and first_run:
            password = secrets.token_urlsafe(12)
            create_instructor(session, email, password)
            # The password goes to a file only this user can read, never into a log.
            write_private_file(settings.evaluation_bootstrap_login_file, f"{email}\n{password}\n")
            logger.warning(
                "development instructor %s created; its password is in %s",
                email,
                settings.evaluation_bootstrap_login_file,
            )


def create_app(
    settings: EvaluationSettings | None = None,
    clock: Clock = utcnow,
    *,
    prepare: bool = True,
) -> FastAPI:
    """The app; ``prepare=False`` when the database was already prepared for it
    (:func:`prepare_database`, the master of several workers)."""
    settings = (settings or EvaluationSettings()).with_signing_key()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.evaluation_database_url)
        if prepare:
            prepare_database(settings, engine)
        app.state.session_factory = make_session_factory(engine)
        app.state.read_session_factory = make_read_session_factory(engine)
        # On SQLite a process's class-wide writes share their commits (write_groups.py).
        groups = WriteGroups(app.state.session_factory) if is_sqlite(engine) else None
        app.state.write_groups = groups
        if groups is not None:
            groups.start()
        try:
            yield
        finally:
            if groups is not None:
                groups.stop()
            engine.dispose()

    app = FastAPI(title="CNN 101 evaluation service", lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock
    app.state.study_forms = StudyFormsCache()
    app.state.login_guard = LoginGuard(
        default_concurrent_hashes(settings.evaluation_workers),
        storage_uri=settings.evaluation_limits_storage,
    )
    app.add_middleware(
        BodySizeLimit,
        default=BodyLimit(settings.evaluation_max_body_bytes),
        paths={materials.UPLOAD_PATH: material_upload_limit(settings)},
    )
    app.add_middleware(CrossSiteGuard)
    app.add_middleware(NoStoreByDefault)
    # see evaluation/admission.py: no pool deadlock; the material file holds no connection
    app.add_middleware(
        AdmissionLimit,
        limit=admission_limit(settings.evaluation_database_url),
        exempt=(student_material.FILE_PATH,),
    )
    # Outermost, so that every answer carries them, refusals included: a reverse proxy may
    # send a student's requests here directly (infra/nginx/cnn101.conf, infra/k8s/ingress.yaml).
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app, unexpected_message="unexpected error; nothing was stored")
    install_database_error_handlers(app)
    app.include_router(instructor.router)
    app.include_router(student.router)
    app.include_router(results.router)
    app.include_router(accounts.router)
    app.include_router(audit.router)
    app.include_router(planning.router)
    app.include_router(preregistration.router)
    app.include_router(materials.router)
    app.include_router(student_material.router)

    app.include_router(health.router)

    return app


def uvicorn_options(settings: EvaluationSettings) -> dict[str, Any]:
    """How uvicorn serves the app: the caller's address from the gateway's X-Forwarded-For,
    believed only from ``evaluation_trusted_proxies`` (the login limits and the audit log use
    ``request.client``). No access log, as the gateway's: a line per quiz answer costs CPU
    at the class's peak and would record students' requests beside the audit log."""
    return {
        "host": settings.evaluation_host,
        "port": settings.evaluation_port,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.evaluation_trusted_proxies,
        "access_log": False,
    }


def create_worker_app() -> FastAPI:
    """The app as each of several uvicorn worker processes runs it: the master prepared the
    database and the signing key. A worker dies with its master (as the gateway's do)."""
    end_with_uvicorn_master()
    return create_app(load_settings(), prepare=False)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    if settings.evaluation_workers == 1:
        uvicorn.run(create_app(settings), **uvicorn_options(settings))
        return
    # Once, before the workers: the migration, the item bank, the signing key's file (each
    # worker reads the key from it).
    settings.with_signing_key()
    engine = make_engine(settings.evaluation_database_url)
    try:
        prepare_database(settings, engine)
    finally:
        engine.dispose()
    uvicorn.run(
        "evaluation.app:create_worker_app",
        factory=True,
        workers=settings.evaluation_workers,
        # a worker imports SciPy and SQLAlchemy: on a busy machine that outlasts the 5 s ping
        timeout_worker_healthcheck=30,
        **uvicorn_options(settings),
    )


if __name__ == "__main__":
    main()

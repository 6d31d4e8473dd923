"""The whole serving path on loopback, built once for the serving tests, and what the browser
tests open in front of it: a gateway serving the SPA build, a second, differently shaped
model, and a study site of their own.

The model is an untrained Tiny VGG exported by the test (fast, and its outputs are what
matters here); the examples come from the real data directory. The browser fixtures
(``browser``, ``page``, ``people``) come from tests/serving/browser.py, registered here so
that every module shares one copy.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from evaluation.app import create_app as create_evaluation_app
from evaluation.auth import create_instructor
from evaluation.report import run_report_build
from evaluation.settings import EvaluationSettings
from services.activations.server import RunningServer
from services.activations.server import build_server as build_activation_server
from services.activations.settings import ActivationSettings
from services.database.engine import make_engine
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.inference.registry import ModelRegistry, ServableNotFoundError
from services.inference.server import InferenceServer
from services.inference.server import build_server as build_inference_server
from services.inference.settings import InferenceSettings
from services.pipeline.architecture import Architecture
from services.pipeline.bundle import ModelBundle
from services.studio.app import create_app as create_studio_app
from services.studio.models import PublishedModel
from services.studio.settings import StudioSettings
from tests.exports import export_untrained
from tests.serving.browser import browser, page, people  # noqa: F401 (fixtures, by name)
from tests.serving.stack import GatewayThread, LoopThread, RedisProcess, free_port, wait_until

# CNN101_TEST_SPA_DIR lets parallel work test its own build (npx vite build --outDir ...).
SPA_DIR = Path(
    os.environ.get("CNN101_TEST_SPA_DIR", Path(__file__).resolve().parents[2] / "frontend" / "dist")
)
STUDY_EMAIL = "teacher@study-e2e.example"
STUDY_PASSWORD = "correct horse battery staple"


@dataclass
class Stack:
    """Handles on every running part, so a test can stop and restart one."""

    base_path: Path
    bundle: ModelBundle
    redis: RedisProcess
    inference: InferenceServer
    inference_port: int
    loop: LoopThread
    activations: RunningServer
    gateway: GatewayThread
    prefix: str
    data_dir: Path
    evaluation: GatewayThread
    studio: GatewayThread

    @property
    def activations_target(self) -> str:
        return f"127.0.0.1:{self.activations.port}"

    def restart_inference(self) -> None:
        self.inference, _ = build_inference_server(
            InferenceSettings(
                inference_port=self.inference_port,
                model_base_path=self.base_path,
                inference_poll_seconds=0.5,
            )
        )
        self.inference.start()
        wait_until(
            lambda: self.inference.registry.serving,
            "the restarted inference service serves tiny_vgg",
        )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("serving")
    base_path = root / "models"
    version_dir = export_untrained(base_path, "tiny_vgg", version=1, seed=11)
    redis_process = RedisProcess(root, max_memory="256mb")
    redis_process.start()
    inference, inference_port = build_inference_server(
        InferenceSettings(inference_port=0, model_base_path=base_path, inference_poll_seconds=0.5)
    )
    inference.start()
    wait_until(lambda: inference.registry.serving, "inference serves tiny_vgg")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    database_url = f"sqlite:///{root / 'evaluation.db'}"
    evaluation = GatewayThread(
        create_evaluation_app(
            EvaluationSettings(
                evaluation_database_url=database_url,
                evaluation_bootstrap_instructor=None,
                evaluation_secret_key_file=root / "evaluation-secret-key",
            )
        )
    )
    evaluation.start()
    studio = GatewayThread(
        create_studio_app(
            StudioSettings(
                studio_database_url=database_url,
                evaluation_url=evaluation.url,
                model_base_path=base_path,
                broker_url=redis_process.url_for(1),
            )
        )
    )
    studio.start()
    loop = LoopThread()
    activations = loop.run(
        build_activation_server(
            ActivationSettings(
                activations_port=0,
                inference_target=f"127.0.0.1:{inference_port}",
                redis_url=redis_process.url,
                cache_prefix=prefix,
                model_base_path=base_path,
                data_dir=real_data_dir,
            )
        )
    )
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=f"127.0.0.1:{activations.port}",
                data_dir=real_data_dir,
                max_upload_bytes=2 * 1024 * 1024,
                max_upload_pixels=4_000_000,
                spa_dir=root / "no-spa",
                retry_after_seconds=3,
                evaluation_url=evaluation.url,
                studio_url=studio.url,
                broker_url=redis_process.url_for(1),
                result_backend=redis_process.url_for(1),
            )
        )
    )
    gateway.start()
    stack = Stack(
        base_path,
        ModelBundle.open(version_dir),
        redis_process,
        inference,
        inference_port,
        loop,
        activations,
        gateway,
        prefix,
        real_data_dir,
        evaluation,
        studio,
    )
    yield stack
    gateway.stop()
    studio.stop()
    evaluation.stop()
    loop.run(stack.activations.stop(grace=0))
    loop.close()
    stack.inference.stop(grace=0)
    redis_process.stop()


def spa_built() -> None:
    assert (SPA_DIR / "index.html").is_file(), (
        f"{SPA_DIR / 'index.html'} is missing: build the SPA first "
        "(cd frontend && npm ci && npm run build)"
    )


def spa_gateway(stack: Stack, port: int | None = None, **settings: Any) -> GatewayThread:
    """A started gateway serving the SPA build in front of the shared stack (Retry-After: 1),
    on ``port`` if given (a page's origin: a restarted gateway listens where it did)."""
    spa_built()
    services = {"evaluation_url": stack.evaluation.url, "studio_url": stack.studio.url}
    gateway = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=stack.activations_target,
                data_dir=stack.data_dir,
                spa_dir=SPA_DIR,
                retry_after_seconds=1,
                broker_url=stack.redis.url_for(1),
                result_backend=stack.redis.url_for(1),
                **(services | settings),
            )
        )
    )
    if port is not None:
        gateway.port = port
        gateway.server.config.port = port
    gateway.start()
    return gateway


@pytest.fixture(scope="module")
def spa(stack: Stack) -> Iterator[GatewayThread]:
    """A gateway of our own that serves frontend/dist, in front of the shared stack."""
    gateway = spa_gateway(stack)
    yield gateway
    gateway.stop()


def serves(registry: ModelRegistry, *names: str) -> bool:
    """Whether inference serves every one of ``names``."""
    try:
        for name in names:
            registry.get(name)
    except ServableNotFoundError:
        return False
    return True


@dataclass
class ModelServices:
    """Inference, activations and an SPA gateway of a test's own, over its own models."""

    inference: InferenceServer
    activations: RunningServer
    gateway: GatewayThread


@contextmanager
def published_by_a_studio(base_path: Path, names: Sequence[str]) -> Iterator[str]:
    """A studio over ``base_path`` (its own database) that lists ``names`` as published,
    as an instructor's publishing leaves them; yields its URL for the gateway."""
    database_url = f"sqlite:///{base_path.parent / f'studio-{uuid.uuid4().hex[:6]}.db'}"
    studio = GatewayThread(
        create_studio_app(
            StudioSettings(studio_database_url=database_url, model_base_path=base_path)
        )
    )
    studio.start()
    engine = make_engine(database_url)
    with Session(engine) as session:
        session.add_all(PublishedModel(name=name, published=True) for name in names)
        session.commit()
    engine.dispose()
    try:
        yield studio.url
    finally:
        studio.stop()


@contextmanager
def own_model_services(
    stack: Stack,
    base_path: Path,
    models: Sequence[str],
    cache_name: str,
    published: Sequence[str] = (),
    **gateway: Any,
) -> Iterator[ModelServices]:
    """Start the services over ``base_path`` (with the shared stack's Redis) once inference
    serves ``models``; ``gateway`` holds the gateway's own settings (its default model...).
    Students see the default model and ``published`` (kept by a studio of their own)."""
    if published:
        with (
            published_by_a_studio(base_path, published) as studio_url,
            own_model_services(
                stack, base_path, models, cache_name, studio_url=studio_url, **gateway
            ) as own,
        ):
            yield own
        return
    spa_built()
    inference, inference_port = build_inference_server(
        InferenceSettings(inference_port=0, model_base_path=base_path, inference_poll_seconds=0.5)
    )
    inference.start()
    try:
        wait_until(lambda: serves(inference.registry, *models), f"inference serves {models}")
        loop = LoopThread()
        activations = loop.run(
            build_activation_server(
                ActivationSettings(
                    activations_port=0,
                    inference_target=f"127.0.0.1:{inference_port}",
                    redis_url=stack.redis.url,
                    cache_prefix=f"{stack.prefix}-{cache_name}",
                    model_base_path=base_path,
                    data_dir=stack.data_dir,
                )
            )
        )
        server = GatewayThread(
            create_app(
                GatewaySettings(
                    activations_target=f"127.0.0.1:{activations.port}",
                    data_dir=stack.data_dir,
                    spa_dir=SPA_DIR,
                    broker_url=stack.redis.url_for(1),
                    result_backend=stack.redis.url_for(1),
                    **gateway,
                )
            )
        )
        server.start()
        try:
            yield ModelServices(inference, activations, server)
        finally:
            server.stop()
            loop.run(activations.stop(grace=0))
            loop.close()
    finally:
        inference.stop(grace=0)


@pytest.fixture(scope="module")
def second_model(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayThread]:
    """A differently shaped CNN behind its own services: 3 convs of 8 5x5 filters on 48x48."""
    base_path = tmp_path_factory.mktemp("second-model")
    arch = Architecture(input_size=48, blocks=3, convs_per_block=1, filters=8, kernel_size=5)
    export_untrained(base_path, "small3", version=1, arch=arch, seed=3)
    with own_model_services(stack, base_path, ["small3"], "small3", model_name="small3") as own:
        yield own.gateway


@dataclass
class StudySite:
    url: str
    database_url: str


class ThreadReportQueue:
    """Builds the HTML report on a thread of this process (the Celery path has its own tests)."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def enqueue(self, study_id: int, build_id: str) -> None:
        threading.Thread(
            target=run_report_build, args=(self.factory, study_id, build_id), daemon=True
        ).start()


@pytest.fixture
def study_site(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudySite]:
    """A study service and gateway per test: each test owns its database and sessions.

    The instructor STUDY_EMAIL / STUDY_PASSWORD exists; the join link is built from the
    study's public URL, so the gateway listens where that says."""
    spa_built()
    root = tmp_path_factory.mktemp("study-e2e")
    database_url = f"sqlite:///{root / 'evaluation.db'}"
    port = free_port()
    evaluation_app = create_evaluation_app(
        EvaluationSettings(
            evaluation_database_url=database_url,
            evaluation_bootstrap_instructor=None,
            evaluation_public_url=f"http://127.0.0.1:{port}",
        )
    )
    report_engine = make_engine(database_url)
    evaluation_app.state.report_queue = ThreadReportQueue(sessionmaker(report_engine))
    evaluation = GatewayThread(evaluation_app)
    evaluation.start()
    engine = make_engine(database_url)
    with Session(engine) as session:
        create_instructor(session, STUDY_EMAIL, STUDY_PASSWORD)
    engine.dispose()
    gateway = spa_gateway(stack, port=port, evaluation_url=evaluation.url)
    yield StudySite(gateway.url, database_url)
    gateway.stop()
    evaluation.stop()
    report_engine.dispose()


def log_in(dashboard: Page, site: StudySite) -> None:
    """The instructor logs in on the study site's dashboard."""
    dashboard.goto(site.url + "/instructor.html")
    dashboard.get_by_label("Email").fill(STUDY_EMAIL)
    dashboard.get_by_label("Password").fill(STUDY_PASSWORD)
    dashboard.get_by_role("button", name="Log in").click()
    expect(dashboard.get_by_role("button", name="Log out")).to_be_visible()

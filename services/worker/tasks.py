"""Celery tasks: thin wrappers over :mod:`services.worker.rendering` and
:mod:`services.worker.warming`.

``warm_examples`` renders the version's example bundles and class sprites as static files
(asking the activation service for each bundle fills its cache too), or, when they are on
disk already, warms the cache alone; it reports progress as the ``PROGRESS`` state with
``{"done", "total"}`` (what ``GET /api/tasks/{id}`` shows). ``watch_model_versions`` runs
every few seconds from the beat schedule and starts one warm-up per version it has not
warmed before (so the committed model is rendered at start, and each new version once); the
record of warmed versions lives in Redis, so restarts and several workers do not repeat work.
"""

from __future__ import annotations

import logging
from typing import Any

import grpc
import redis
from celery import Task

from services.common.jobs import Queue, TaskName
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.examples import ExampleCatalog
from services.worker.app import app
from services.worker.rendering import FingerprintChangedError, Renderer
from services.worker.settings import WorkerSettings
from services.worker.static_prune import prune_superseded
from services.worker.warming import activation_stub, served_versions, warm_examples

logger = logging.getLogger(__name__)
RETRY_SECONDS = 5
MAX_RETRIES = 12


def _settings() -> WorkerSettings:
    settings: WorkerSettings = app.conf.cnn101_settings
    return settings


def _warmed_key(settings: WorkerSettings) -> str:
    return f"{settings.cache_prefix}:warmed"


@app.task(bind=True, name=TaskName.WARM_EXAMPLES, queue=Queue.WARM, acks_late=True)
def warm_examples_task(self: Task, model_name: str, version: int) -> dict[str, Any]:
    """Render every example's bundle and class sprite of ``model_name`` ``version`` as static
    files (filling the cache on the way); when they exist already, fill the cache alone."""
    settings = _settings()
    catalog = ExampleCatalog.from_data_dir(settings.data_dir, CNN101_CLASSES)
    channel, stub = activation_stub(settings.activations_target)

    def progress(done: int, total: int) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    try:
        with channel:
            try:
                rendered = Renderer(channel, settings.static_root, catalog).render(
                    model_name, version, progress
                )
            except (OSError, ValueError) as error:
                # A static folder this worker cannot write (a read-only volume), or a version
                # without a fingerprint: the gateway answers from the dynamic route, so a
                # warm cache is what helps.
                logger.warning("static files of %s %s not rendered: %s", model_name, version, error)
                rendered = None
            ids = [e.id for e in catalog]
            if rendered is None or rendered.written == 0:
                warm_examples(stub, model_name, version, ids, progress)
    except grpc.RpcError as error:
        # Only an unreachable service is worth retrying; anything else is a real failure.
        if error.code() == grpc.StatusCode.UNAVAILABLE:
            raise self.retry(exc=error, countdown=RETRY_SECONDS, max_retries=MAX_RETRIES) from error
        raise
    except FingerprintChangedError as error:
        raise self.retry(exc=error, countdown=RETRY_SECONDS, max_retries=MAX_RETRIES) from error
    count = len(ids)
    redis.Redis.from_url(settings.redis_url).sadd(_warmed_key(settings), f"{model_name}:{version}")
    return {
        "model": model_name,
        "version": version,
        "done": count,
        "total": count,
        "static_dir": None if rendered is None else str(rendered.directory),
        "files_written": 0 if rendered is None else rendered.written,
    }


@app.task(name=TaskName.WATCH_MODEL_VERSIONS, ignore_result=True)
def watch_model_versions() -> list[str]:
    """Remove superseded static folders past their grace (services/worker/static_prune.py),
    then start a warm-up for each served version not warmed yet; return what was started."""
    settings = _settings()
    prune_superseded(settings.static_root, settings.static_keep_superseded_seconds)
    channel, stub = activation_stub(settings.activations_target)
    with channel:
        served = served_versions(stub)
    client = redis.Redis.from_url(settings.redis_url)
    started = []
    for model_name, version in served:
        marker = f"{model_name}:{version}"
        if client.sismember(_warmed_key(settings), marker):
            continue
        # One warm-up per version even when several watchers run: a short-lived claim.
        if client.set(f"{_warmed_key(settings)}:claim:{marker}", b"1", nx=True, ex=600):
            warm_examples_task.delay(model_name, version)
            started.append(marker)
    return started

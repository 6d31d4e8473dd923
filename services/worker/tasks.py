"""Celery tasks: thin wrappers over :mod:`services.worker.warming`.

``warm_examples`` reports progress as the ``PROGRESS`` state with ``{"done", "total"}``
(what ``GET /api/tasks/{id}`` shows). ``watch_model_versions`` runs every few seconds from
the beat schedule and starts one warm-up per version it has not warmed before; the record
of warmed versions lives in Redis, so restarts and several workers do not repeat work.
"""

from __future__ import annotations

from typing import Any

import grpc
import redis
from celery import Task

from services.common.jobs import Queue, TaskName
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.examples import ExampleCatalog
from services.worker.app import app
from services.worker.settings import WorkerSettings
from services.worker.warming import activation_stub, served_versions, warm_examples

RETRY_SECONDS = 5
MAX_RETRIES = 12


def _settings() -> WorkerSettings:
    settings: WorkerSettings = app.conf.cnn101_settings
    return settings


def _warmed_key(settings: WorkerSettings) -> str:
    return f"{settings.cache_prefix}:warmed"


@app.task(bind=True, name=TaskName.WARM_EXAMPLES, queue=Queue.WARM, acks_late=True)
def warm_examples_task(self: Task, model_name: str, version: int) -> dict[str, Any]:
    """Fill the cache with every example's bundle for ``model_name`` ``version``."""
    settings = _settings()
    catalog = ExampleCatalog.from_data_dir(settings.data_dir, CNN101_CLASSES)
    channel, stub = activation_stub(settings.activations_target)

    def progress(done: int, total: int) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    try:
        with channel:
            count = warm_examples(stub, model_name, version, (e.id for e in catalog), progress)
    except grpc.RpcError as error:
        # Only an unreachable service is worth retrying; anything else is a real failure.
        if error.code() == grpc.StatusCode.UNAVAILABLE:
            raise self.retry(exc=error, countdown=RETRY_SECONDS, max_retries=MAX_RETRIES) from error
        raise
    redis.Redis.from_url(settings.redis_url).sadd(_warmed_key(settings), f"{model_name}:{version}")
    return {"model": model_name, "version": version, "done": count, "total": count}


@app.task(name=TaskName.WATCH_MODEL_VERSIONS, ignore_result=True)
def watch_model_versions() -> list[str]:
    """Start a warm-up for each served version not warmed yet; return what was started."""
    settings = _settings()
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

"""Configuration of the Celery worker (``CNN101_*`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.pipeline.settings import PROJECT_ROOT


class WorkerSettings(BaseSettings):
    """The broker, the activation service, how often to look for models, the study database."""

    model_config = SettingsConfigDict(env_prefix="CNN101_", extra="ignore")

    broker_url: str = "redis://127.0.0.1:6379/1"
    result_backend: str = "redis://127.0.0.1:6379/1"
    activations_target: str = "127.0.0.1:8510"
    data_dir: Path = PROJECT_ROOT.parent / "shared" / "data" / "tiny-imagenet-10"
    # Redis that records which model versions have been warmed (the cache's own Redis).
    redis_url: str = "redis://127.0.0.1:6379/0"
    cache_prefix: str = "cnn101"
    version_watch_seconds: float = 10.0
    # The study database the report builds read and write: the evaluation service's own
    # variable and default, so one setting points both at the same database.
    evaluation_database_url: str = f"sqlite:///{PROJECT_ROOT / '.data' / 'evaluation.db'}"
    # Where the model studio's jobs export new versions: the inference service's folder.
    model_base_path: Path = PROJECT_ROOT / "models"
    # How often (seconds) a training job checks its row for a cancel, and writes that it
    # is alive (the evaluation service fails a job silent for CNN101_STUDIO_STALE_JOB_SECONDS).
    model_job_check_seconds: float = 1.0
    model_job_heartbeat_seconds: float = 5.0

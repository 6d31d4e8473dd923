"""Configuration of the Celery workers (``CNN101_*`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from services.common.paths import DEFAULT_STATIC_ROOT
from services.common.settings import SharedSettings


class WorkerSettings(SharedSettings):
    """How often to look for new model versions, and how a model job reports its life."""

    activations_target: str = "127.0.0.1:8510"
    # Where example bundles and sprites are rendered as static files (the gateway's
    # CNN101_STATIC_ROOT: the same folder, or a volume both mount).
    static_root: Path = DEFAULT_STATIC_ROOT
    # How long a superseded export's static folder stays (a page loaded before the re-export
    # may still ask for its files): longer than a lesson (services/worker/static_prune.py).
    static_keep_superseded_seconds: float = 6 * 3600.0
    version_watch_seconds: float = 10.0
    # How often (seconds) a training job checks its row for a cancel, and writes that it
    # is alive (the studio fails a job silent for CNN101_STUDIO_STALE_JOB_SECONDS).
    model_job_check_seconds: float = 1.0
    model_job_heartbeat_seconds: float = 5.0

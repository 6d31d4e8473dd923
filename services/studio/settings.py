"""Configuration of the model-studio service (``CNN101_*`` environment variables)."""

from __future__ import annotations

from pydantic import ValidationError

from services.common.settings import SharedSettings


class StudioSettings(SharedSettings):
    """Where to listen, whom to ask who an instructor is, and what an upload may hold."""

    studio_host: str = "127.0.0.1"
    studio_port: int = 8002
    # Addresses whose X-Forwarded-For uvicorn believes (the gateway's, comma-separated; "*"
    # where only the gateway can reach the studio): the audit log then records the
    # instructor's address, not the gateway's.
    studio_trusted_proxies: str = "127.0.0.1"
    # The study service knows the instructors: a request's session cookie is checked there.
    evaluation_url: str = "http://127.0.0.1:8001"
    evaluation_timeout_seconds: float = 10.0
    studio_migrate_on_start: bool = True
    studio_max_body_bytes: int = 256 * 1024
    studio_max_unzipped_bytes: int = 100 * 1024 * 1024
    studio_max_files: int = 5000
    studio_min_images_per_class: int = 10
    studio_max_images_per_class: int = 1000
    studio_max_classes: int = 20
    studio_max_image_pixels: int = 4096 * 4096
    # All pictures of a zip together, from their headers, before any is decoded.
    studio_max_total_pixels: int = 500_000_000
    # Zips are checked in worker processes (services/studio/dataset_checks.py): how many,
    # how many uploads may wait for a check, and how long one check may take.
    studio_dataset_check_workers: int = 1
    studio_max_pending_checks: int = 4
    studio_dataset_check_seconds: float = 300.0
    # A running job whose worker has not written for this long is reported failed.
    studio_stale_job_seconds: int = 300


def load_settings() -> StudioSettings:
    """Read the environment; a configuration error ends the process with its message."""
    try:
        return StudioSettings()
    except ValidationError as exc:
        problems = "; ".join(str(error["msg"]) for error in exc.errors())
        raise SystemExit(f"studio service configuration error: {problems}") from None

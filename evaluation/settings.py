"""Configuration of the evaluation service (``CNN101_*`` environment variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "development-only"})
DEFAULT_SECRET = "development-only"


class EvaluationSettings(BaseSettings):
    """One settings object for the service; production refuses a placeholder signing key."""

    model_config = SettingsConfigDict(env_prefix="CNN101_", extra="ignore")

    env: Literal["development", "production"] = "development"
    evaluation_host: str = "127.0.0.1"
    evaluation_port: int = 8001
    evaluation_database_url: str = f"sqlite:///{REPO_ROOT / '.data' / 'evaluation.db'}"
    evaluation_secret_key: str = DEFAULT_SECRET
    # The address students type or scan: the gateway, which forwards /api/evaluation here.
    evaluation_public_url: str = "http://localhost:8000"
    evaluation_session_max_age_seconds: int = 8 * 3600
    evaluation_max_body_bytes: int = 256 * 1024
    evaluation_max_events_per_batch: int = 200
    # Seconds accepted after a deadline, so an answer sent at the last second still counts.
    evaluation_grace_seconds: float = 5.0
    evaluation_migrate_on_start: bool = True
    # The dashboard flags a student idle this long outside the learning phase.
    evaluation_stuck_after_seconds: int = 180
    # Development only: create this instructor on first run, password printed once.
    evaluation_bootstrap_instructor: str | None = "instructor@localhost"
    # Model studio (docs/models.md): the models folder it lists (the inference service's),
    # the default model (always published), and what an upload may hold.
    model_base_path: Path = REPO_ROOT / "models"
    model_name: str = "tiny_vgg"
    studio_max_zip_bytes: int = 10 * 1024 * 1024
    studio_max_unzipped_bytes: int = 100 * 1024 * 1024
    studio_max_files: int = 5000
    studio_min_images_per_class: int = 10
    studio_max_images_per_class: int = 1000
    studio_max_classes: int = 20
    studio_max_image_pixels: int = 4096 * 4096
    studio_max_import_bytes: int = 10 * 1024 * 1024
    # A running job whose worker has not written for this long is reported failed.
    studio_stale_job_seconds: int = 300

    @model_validator(mode="after")
    def _refuse_placeholder_secret_in_production(self) -> EvaluationSettings:
        if self.env == "production" and (
            self.evaluation_secret_key.strip().lower() in PLACEHOLDER_SECRETS
            or len(self.evaluation_secret_key) < 32
        ):
            raise ValueError(
                "CNN101_EVALUATION_SECRET_KEY must be set to a random value of at least "
                "32 characters in production"
            )
        return self

    @property
    def cookie_secure(self) -> bool:
        return self.env == "production"


def load_settings() -> EvaluationSettings:
    """Read the environment; a configuration error ends the process with its message."""
    try:
        return EvaluationSettings()
    except ValidationError as exc:
        problems = "; ".join(str(error["msg"]) for error in exc.errors())
        raise SystemExit(f"evaluation service configuration error: {problems}") from None

"""Configuration of the evaluation service (``CNN101_*`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from services.common.paths import LOCAL_STATE_DIR
from services.common.secrets import load_or_create_secret, weakness
from services.common.settings import SharedSettings


class EvaluationSettings(SharedSettings):
    """One settings object for the service; a weak signing key is refused in every mode."""

    evaluation_host: str = "127.0.0.1"
    evaluation_port: int = 8001
    # Addresses (or networks, comma-separated) whose X-Forwarded-For uvicorn believes: the
    # gateway's. The login limits and the audit log then see the student's or instructor's
    # address, not the gateway's. Anyone else's header is ignored.
    evaluation_trusted_proxies: str = "127.0.0.1"
    # Processes serving HTTP (uvicorn workers). A class's quiz answers need more than one
    # core (docs/sizing.md), on SQLite too: its writers queue fairly across processes
    # (services/database/sqlite_writes.py). Alone, the service runs one, because more
    # than one needs a shared store for the failed-login counts
    # (``evaluation_limits_storage``); `cnn101 run` and compose give it that and run 2.
    evaluation_workers: int = Field(default=1, ge=1, le=8)
    # Where failed logins are counted (a `limits` storage URI): this process's memory, or
    # Redis (``redis://host:6379/N``) that every worker shares.
    evaluation_limits_storage: str = "memory://"
    # Signs instructor sessions. Unset: a random key is made on first start and kept in
    # ``evaluation_secret_key_file`` (mode 0600), see :meth:`with_signing_key`.
    evaluation_secret_key: str | None = None
    evaluation_secret_key_file: Path = LOCAL_STATE_DIR / "evaluation-secret-key"
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
    # Development only: create this instructor on first run; its e-mail and password are
    # written to ``evaluation_bootstrap_login_file`` (mode 0600), which `cnn101 run` shows.
    evaluation_bootstrap_instructor: str | None = "instructor@localhost"
    evaluation_bootstrap_login_file: Path = LOCAL_STATE_DIR / "development-instructor-login"
    # The conventional arm's uploaded material (PDF, video), one file per SHA-256
    # (evaluation/material_store.py); compose keeps it on a volume.
    evaluation_material_dir: Path = LOCAL_STATE_DIR / "study-material"
    evaluation_max_pdf_bytes: int = 50 * 1024 * 1024
    evaluation_max_video_bytes: int = 500 * 1024 * 1024

    @model_validator(mode="after")
    def _refuse_a_weak_secret(self) -> EvaluationSettings:
        if self.evaluation_secret_key is not None:
            problem = weakness(self.evaluation_secret_key)
            if problem:
                raise ValueError(
                    f"CNN101_EVALUATION_SECRET_KEY {problem}: set a random value (for example "
                    "`openssl rand -hex 32`), or unset it to have one made and kept"
                )
        return self

    @model_validator(mode="after")
    def _share_the_login_counts_between_workers(self) -> EvaluationSettings:
        if self.evaluation_workers > 1 and self.evaluation_limits_storage.startswith("memory"):
            raise ValueError(
                f"CNN101_EVALUATION_WORKERS={self.evaluation_workers} needs "
                "CNN101_EVALUATION_LIMITS_STORAGE=redis://...: each worker would count failed "
                "logins on its own, and allow that many times the tries"
            )
        return self

    def with_signing_key(self) -> EvaluationSettings:
        """These settings with a signing key: the one set, else the kept (or a new) one."""
        if self.evaluation_secret_key is not None:
            return self
        key = load_or_create_secret(self.evaluation_secret_key_file)
        return self.model_copy(update={"evaluation_secret_key": key})

    @property
    def signing_key(self) -> str:
        if self.evaluation_secret_key is None:
            raise RuntimeError("no signing key yet: build the app with with_signing_key()")
        return self.evaluation_secret_key

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

"""The settings every service shares; each service's own settings class adds its fields.

One prefix (``CNN101_``), read by pydantic-settings from the environment (or from files in
``CNN101_SECRETS_DIR``). A field lives here when two or more
services read it, so one variable points them all at the same folder, Redis or broker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.paths import DEFAULT_DATA_DIR, DEFAULT_DATABASE_URL, DEFAULT_MODEL_BASE_PATH


class SharedSettings(BaseSettings):
    """Paths, the model store, Redis, the broker, the databases and the deployment mode."""

    # A value may also come from a file named like its variable in lower case
    # (``cnn101_evaluation_secret_key``) in ``CNN101_SECRETS_DIR``: how compose and
    # Kubernetes hand in generated secrets. A variable set in the environment wins.
    model_config = SettingsConfigDict(
        env_prefix="CNN101_", extra="ignore", secrets_dir=os.environ.get("CNN101_SECRETS_DIR")
    )

    env: Literal["development", "production"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    model_base_path: Path = DEFAULT_MODEL_BASE_PATH
    model_name: str = "tiny_vgg"
    redis_url: str = "redis://127.0.0.1:6379/0"
    cache_prefix: str = "cnn101"
    broker_url: str = "redis://127.0.0.1:6379/1"
    result_backend: str = "redis://127.0.0.1:6379/1"
    # The study's database (the evaluation service and the report builds read it) and the
    # model studio's (the studio service and the training jobs): one file unless told.
    evaluation_database_url: str = DEFAULT_DATABASE_URL
    studio_database_url: str = DEFAULT_DATABASE_URL
    # The model studio's upload limits: the studio checks them, and the gateway in front of
    # it lets bodies this large (plus multipart framing) through to it.
    studio_max_zip_bytes: int = 10 * 1024 * 1024
    studio_max_import_bytes: int = 10 * 1024 * 1024

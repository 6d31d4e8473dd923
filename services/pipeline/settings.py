"""Configuration of the model pipeline, read from ``CNN101_*`` environment variables.

Every default works on one machine from a fresh clone with ``../shared`` beside it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class PipelineSettings(BaseSettings):
    """Where the data and the models live, and which model is the default."""

    model_config = SettingsConfigDict(env_prefix="CNN101_", extra="ignore")

    data_dir: Path = PROJECT_ROOT.parent / "shared" / "data" / "tiny-imagenet-10"
    model_base_path: Path = PROJECT_ROOT / "models"
    model_name: str = "tiny_vgg"
    dataset_url: str = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
    dataset_md5: str = "90528d7ca1a48142e341f4ef8d21d0de"

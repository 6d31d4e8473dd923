"""Fixtures shared by every test: quiet TensorFlow, the real data, synthetic data sets."""

from __future__ import annotations

import os
import shutil
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

from collections.abc import Callable
from pathlib import Path

import pytest

from services.common.paths import PROJECT_ROOT
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.settings import PipelineSettings
from tests.synthetic import write_tiny_imagenet

MakeDataset = Callable[..., Path]

# Workers the tests start render example files (services/worker/rendering.py): into a
# folder of this run, removed at its end, never the repository's .data/static.
_STATIC_ROOT: str | None = None
if "CNN101_STATIC_ROOT" not in os.environ:
    _STATIC_ROOT = os.environ["CNN101_STATIC_ROOT"] = tempfile.mkdtemp(prefix="cnn101-test-static-")

# The databases and the clock the study's and the studio's tests share.
pytest_plugins = ["tests.databases"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove this run's rendered example files (in pytest's own process only: not atexit,
    which a forked child would run too)."""
    del session, exitstatus
    if _STATIC_ROOT is not None:
        shutil.rmtree(_STATIC_ROOT, ignore_errors=True)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The configured Tiny ImageNet folder; its absence is a failure, not a skip."""
    data_dir = PipelineSettings().data_dir
    assert (data_dir / "wnids.txt").is_file(), f"the data directory {data_dir} is missing"
    return data_dir


@pytest.fixture
def make_dataset(tmp_path: Path) -> MakeDataset:
    """Build a small data set in the official layout under ``tmp_path``."""

    def make(name: str = "data", per_class: int = 4, val_per_class: int = 2) -> Path:
        return write_tiny_imagenet(
            tmp_path / name, CNN101_CLASSES, per_class=per_class, val_per_class=val_per_class
        )

    return make

"""The platform as processes, started once for the reliability tests that do not break it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.paths import PROJECT_ROOT
from tests.reliability.platform import ProcessPlatform

COMMITTED_MODEL = PROJECT_ROOT / "models" / "tiny_vgg" / "1"


def boot_platform(root: Path, data_dir: Path) -> ProcessPlatform:
    platform = ProcessPlatform(root=root, data_dir=data_dir, model_source=COMMITTED_MODEL)
    try:
        platform.boot()
    except BaseException:
        logs = platform.log_text()[-4000:]
        platform.stop()
        raise AssertionError(f"the platform did not start:\n{logs}") from None
    return platform


@pytest.fixture(scope="session")
def platform(
    tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path
) -> Iterator[ProcessPlatform]:
    """A platform nobody breaks: hostile uploads and fuzzing run against it."""
    running = boot_platform(tmp_path_factory.mktemp("platform"), real_data_dir)
    try:
        yield running
    finally:
        running.stop()

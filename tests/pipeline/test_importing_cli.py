"""``cnn101 import-model``: imports a TensorFlow.js upload, and says why it refuses one."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli import EXIT_USER_ERROR, main
from services.pipeline.bundle import ModelBundle
from tests.pipeline.test_importing import CLASSES, build_sequential, tfjs_files


def test_cli_imports_and_explains_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = tfjs_files(build_sequential(size=16))
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    paths = [str(tmp_path / name) for name in files]
    base = tmp_path / "models"
    classes = ",".join(CLASSES)
    argv = ["import-model", *paths, "--name", "cli-cnn", "--classes", classes]
    assert main([*argv, "--base-path", str(base)]) == 0
    assert capsys.readouterr().out.strip() == str(base / "cli-cnn" / "1")
    assert [c.name for c in ModelBundle.open(base / "cli-cnn" / "1").classes] == CLASSES
    shard = [p for p in paths if p.endswith("shard2of2.bin")]
    fewer = [p for p in paths if p not in shard]
    assert (
        main(["import-model", *fewer, "--name", "x", "--base-path", str(base)]) == EXIT_USER_ERROR
    )
    error = capsys.readouterr().err
    assert (
        error.startswith("cnn101: error: Weight shard group1-shard2of2.bin")
        and "Traceback" not in error
    )

"""The command line turns the errors a person can fix into one clear line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli import main


def test_check_on_the_real_data(real_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "check", "--data-dir", str(real_data_dir)]) == 0
    assert "5000 training and 250 validation images of 10 classes" in capsys.readouterr().out


def test_missing_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "check", "--data-dir", str(tmp_path / "none")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("cnn101: error: Data directory")
    assert "does not exist" in error and "Traceback" not in error


def test_train_on_a_broken_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data-dir", str(tmp_path), "--base-path", str(tmp_path / "m")]) == 2
    assert "is empty" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_evaluate_without_a_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--model-dir", str(tmp_path / "nothing")]) == 2
    assert "No exported model" in capsys.readouterr().err


def test_download_from_an_unreachable_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "data",
            "download",
            "--dest",
            str(tmp_path / "d"),
            "--url",
            "http://127.0.0.1:9/tiny-imagenet-200.zip",
        ]
    )
    assert code == 2
    assert "Could not download" in capsys.readouterr().err

"""Models made at run time do not show up as changes to the repository (issue 15: training
a model from the dashboard wrote it into the git working tree, models/<name>/)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_a_studio_model_in_the_default_store_is_ignored_and_the_default_model_is_tracked() -> None:
    made = ROOT / "models" / "zz_studio_test_net"
    (made / "1").mkdir(parents=True)
    try:
        (made / "1" / "saved_model.pb").write_bytes(b"x")
        (made / "README.md").write_text("card", encoding="utf-8")
        status = _git("status", "--porcelain", "--untracked-files=all", "--", "models")
        assert status.returncode == 0, status.stderr
        assert "zz_studio_test_net" not in status.stdout
    finally:
        shutil.rmtree(made)
    tracked = _git("ls-files", "models/tiny_vgg").stdout.splitlines()
    assert "models/tiny_vgg/README.md" in tracked
    assert "models/tiny_vgg/1/saved_model.pb" in tracked

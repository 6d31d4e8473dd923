"""The environment holds exactly the versions uv.lock names: a fresh install is the locked one."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

LOCK_FILE = Path(__file__).resolve().parents[2] / "uv.lock"


def _locked_versions() -> dict[str, str]:
    lock = tomllib.loads(LOCK_FILE.read_text(encoding="utf-8"))
    return {
        canonicalize_name(package["name"]): package["version"]
        for package in lock["package"]
        if "version" in package and package.get("source", {}).get("editable") is None
    }


def test_every_installed_distribution_is_the_locked_version() -> None:
    locked = _locked_versions()
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
    }
    checked = {name: version for name, version in installed.items() if name in locked}
    differing = {
        name: (version, locked[name])
        for name, version in checked.items()
        if version != locked[name]
    }
    assert not differing, f"installed (version, locked version) differ: {differing}"
    # every runtime dependency of the project is installed, so nothing came from elsewhere
    assert len(checked) >= 100, f"only {len(checked)} locked packages installed"


def test_nothing_is_installed_that_the_lock_does_not_name() -> None:
    locked = _locked_versions()
    stray = sorted(
        canonicalize_name(dist.metadata["Name"])
        for dist in metadata.distributions()
        if canonicalize_name(dist.metadata["Name"]) not in locked
    )
    allowed = {"cnn101", "pip", "setuptools"}
    assert [name for name in stray if name not in allowed] == []

"""Each image installs exactly its part of uv.lock: the core and one extra, at the locked
versions, every file checked against the lock's hash.

The Dockerfiles are read, not built (no engine here); ``uv export`` of the lock (frozen and
offline: no resolution, no network) says what each image installs.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from uv import find_uv_bin

from tests.infra.files import (
    IMAGES,
    PROJECT_PACKAGES,
    copy_sources,
    dockerfile_stages,
    image_needs,
    image_packages,
    locked_packages,
)

DOCKER = Path("infra") / "docker"
# What must stay out of an image (the reason the images have extras at all).
KEPT_OUT = {
    "gateway": {"tensorflow", "keras", "tensorflow-serving-api", "sqlalchemy", "alembic", "scipy"},
    "evaluation": {"tensorflow", "keras", "tensorflow-serving-api"},
    "studio": {"tensorflow", "keras", "tensorflow-serving-api", "scipy"},
    "worker": {"tensorflow", "keras", "tensorflow-serving-api"},
}
# The images whose services reach PostgreSQL (through SQLAlchemy's psycopg dialect, which
# no module of ours imports by name).
DATABASE_IMAGES = ("evaluation", "studio", "worker", "model-worker")


def _pyproject(project_root: Path) -> dict[str, object]:
    data: dict[str, object] = tomllib.loads((project_root / "pyproject.toml").read_text())
    return data


def _extras(project_root: Path) -> dict[str, list[str]]:
    project = _pyproject(project_root)["project"]
    assert isinstance(project, dict)
    extras: dict[str, list[str]] = project["optional-dependencies"]
    return extras


def _pinned_uv(project_root: Path) -> str:
    """The uv version the lock's dev extra pins (the one `make install` runs)."""
    pins = [
        Requirement(requirement)
        for requirement in _extras(project_root)["dev"]
        if canonicalize_name(Requirement(requirement).name) == "uv"
    ]
    assert len(pins) == 1 and str(pins[0].specifier).startswith("==")
    return str(pins[0].specifier).removeprefix("==")


def _build_commands(project_root: Path, service: str) -> list[list[str]]:
    """The commands the build stage's RUN instructions chain, each split into words."""
    stages = dockerfile_stages(project_root / DOCKER / f"{service}.Dockerfile")
    build = next(stage for stage in stages if stage.name == "build")
    commands: list[list[str]] = []
    for keyword, rest in build.instructions:
        if keyword == "RUN":
            commands.extend(shlex.split(part) for part in re.split(r"&&|;", rest))
    return commands


@pytest.mark.parametrize("service", sorted(IMAGES))
def test_image_installs_its_extra_from_the_lock(project_root: Path, service: str) -> None:
    stages = dockerfile_stages(project_root / DOCKER / f"{service}.Dockerfile")
    build = next(stage for stage in stages if stage.name == "build")
    assert {"pyproject.toml", "uv.lock"} <= set(copy_sources(build))
    commands = _build_commands(project_root, service)
    exports = [c for c in commands if c[:2] == ["uv", "export"]]
    assert len(exports) == 1, "one export of the lock"
    export = exports[0]
    # The lock as it is (never re-resolved), the image's extra only, no dev tools, no project.
    for flag in ("--frozen", "--no-dev", "--no-emit-project"):
        assert flag in export, (service, flag)
    extras = [export[i + 1] for i, word in enumerate(export) if word == "--extra"]
    assert extras == [IMAGES[service].extra]
    assert "--all-extras" not in export and "--no-hashes" not in export
    output = export[export.index("-o") + 1]
    installs = [c for c in commands if "pip" in c[0] and "install" in c]
    # uv itself, pinned as the lock's dev extra (and the Makefile) pin it ...
    assert installs[0] == ["pip", "install", f"uv=={_pinned_uv(project_root)}"]
    # ... then exactly the exported files, each checked against its hash, nothing resolved.
    assert installs[1:] == [
        ["/opt/venv/bin/pip", "install", "--require-hashes", "--no-deps", "-r", output]
    ]


def test_the_makefile_pins_the_same_uv(project_root: Path) -> None:
    makefile = (project_root / "Makefile").read_text()
    assert re.search(
        rf"^UV_VERSION\s*:?=\s*{re.escape(_pinned_uv(project_root))}\s*$", makefile, re.M
    )


def test_every_deployable_extra_is_an_image_and_dev_installs_them_all(project_root: Path) -> None:
    extras = set(_extras(project_root))
    used = {image.extra for image in IMAGES.values()}
    assert used <= extras
    assert extras - used == {"dev"}, "an extra no image installs"
    # `make install` (uv sync --all-extras) and the dev extra alone install the same.
    everything = locked_packages(project_root, "--no-emit-project", "--all-extras")
    assert locked_packages(project_root, "--no-emit-project", "--extra", "dev") == everything


def test_the_lock_matches_pyproject(project_root: Path) -> None:
    """uv.lock was written from this pyproject.toml (checked offline: no new resolution)."""
    result = subprocess.run(
        [find_uv_bin(), "lock", "--check", "--offline"],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_gateway_image_holds_no_tensorflow_sql_or_scipy(project_root: Path) -> None:
    packages = locked_packages(project_root, "--no-dev", "--no-emit-project", "--extra", "gateway")
    assert {"fastapi", "grpcio", "pillow", "limits"} <= set(packages)
    assert not {"tensorflow", "sqlalchemy", "scipy"} & set(packages)


@pytest.mark.parametrize("service", sorted(KEPT_OUT))
def test_small_images_keep_the_heavy_packages_out(project_root: Path, service: str) -> None:
    assert set(image_packages(project_root, service)) & KEPT_OUT[service] == set()


@pytest.mark.parametrize("service", DATABASE_IMAGES)
def test_database_services_have_the_postgresql_driver(project_root: Path, service: str) -> None:
    assert {"sqlalchemy", "psycopg", "psycopg-binary"} <= set(image_packages(project_root, service))


@pytest.mark.parametrize("service", sorted(IMAGES))
def test_image_holds_every_package_its_code_imports(project_root: Path, service: str) -> None:
    installed = set(image_packages(project_root, service))
    owners = packages_distributions()
    missing = []
    for module in sorted(image_needs(project_root, service).imports):
        distributions = {canonicalize_name(d) for d in owners.get(module, [])}
        if module in PROJECT_PACKAGES or not distributions:
            continue  # the project itself, or the standard library
        if not distributions & installed:
            missing.append(f"{module} ({', '.join(sorted(distributions))})")
    assert missing == [], f"the {service} image lacks: {missing}"

"""The Dockerfiles, checked without an engine: stages, users, files, commands, code.

What each image installs (its extra of uv.lock) is checked in ``test_locked_images.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.runner import service_commands
from tests.infra.files import (
    IMAGES,
    RUNS_IMAGE_OF,
    copy_sources,
    dockerfile_stages,
    dockerignore_patterns,
    dockerignored,
    image_needs,
)

DOCKER = Path("infra") / "docker"
SERVICES = tuple(IMAGES)


def test_every_service_has_an_image(project_root: Path) -> None:
    assert set(SERVICES) == set(service_commands("python", "/tmp")) - set(RUNS_IMAGE_OF)
    on_disk = {path.name.removesuffix(".Dockerfile") for path in (project_root / DOCKER).iterdir()}
    assert on_disk == set(SERVICES), "one Dockerfile per service, nothing else in infra/docker"


@pytest.mark.parametrize("service", SERVICES)
def test_image_is_multi_stage_small_and_unprivileged(project_root: Path, service: str) -> None:
    stages = dockerfile_stages(project_root / DOCKER / f"{service}.Dockerfile")
    assert len(stages) >= 2, "dependencies are built in a stage of their own"
    final = stages[-1]
    assert final.base in ("${PYTHON_IMAGE}", "python:3.11-slim")
    users = [rest for keyword, rest in final.instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "the service runs as an unprivileged user"
    # The final stage installs nothing: it copies the built virtual environment.
    runs = " ".join(rest for keyword, rest in final.instructions if keyword == "RUN")
    assert "pip install" not in runs and "apt-get" not in runs
    assert "useradd --create-home --uid 10001" in runs and users[-1] == "10001"


@pytest.mark.parametrize("service", SERVICES)
def test_image_runs_the_runners_command(project_root: Path, service: str) -> None:
    final = dockerfile_stages(project_root / DOCKER / f"{service}.Dockerfile")[-1]
    commands = [json.loads(rest) for keyword, rest in final.instructions if keyword == "CMD"]
    assert commands[-1] == service_commands("python", "/tmp")[service]


@pytest.mark.parametrize("service", SERVICES)
def test_every_copied_file_exists_and_reaches_the_build(project_root: Path, service: str) -> None:
    patterns = dockerignore_patterns(project_root)
    for stage in dockerfile_stages(project_root / DOCKER / f"{service}.Dockerfile"):
        for source in copy_sources(stage):
            assert (project_root / source).exists(), (service, source)
            assert not dockerignored(source, patterns), (service, source, "is in .dockerignore")


@pytest.mark.parametrize("service", SERVICES)
def test_image_copies_exactly_the_code_its_service_imports(
    project_root: Path, service: str
) -> None:
    """Every project package the service loads (also inside functions) is there, and no
    other: the gateway's image holds no study, studio or worker code."""
    final = dockerfile_stages(project_root / DOCKER / f"{service}.Dockerfile")[-1]
    copied = set(copy_sources(final)) - set(IMAGES[service].carries)
    needed = image_needs(project_root, service).folders(project_root)
    assert needed - copied == set(), f"the {service} image lacks code it imports"
    assert copied - needed == set(), f"the {service} image copies code it never imports"


def test_dockerignore_keeps_the_bulk_out(project_root: Path) -> None:
    patterns = dockerignore_patterns(project_root)
    for path in (
        ".venv/bin/python",
        "frontend/node_modules/react",
        ".git/HEAD",
        ".env",
        "infra/k8s/secrets.env",
    ):
        assert dockerignored(path, patterns), path
    for path in (
        "services/gateway/app.py",
        "frontend/src/main.tsx",
        "models/tiny_vgg",
        "uv.lock",
        "pyproject.toml",
    ):
        assert not dockerignored(path, patterns), path


def test_the_spa_is_built_through_nodeenv_in_a_python_image(project_root: Path) -> None:
    stages = dockerfile_stages(project_root / DOCKER / "gateway.Dockerfile")
    spa = next(stage for stage in stages if stage.name == "spa")
    assert spa.base == "${PYTHON_IMAGE}"
    runs = " ".join(rest for keyword, rest in spa.instructions if keyword == "RUN")
    assert "nodeenv" in runs and "npm ci" in runs and "npm run build" in runs
    final = " ".join(rest for keyword, rest in stages[-1].instructions)
    assert "--from=spa /src/frontend/dist" in final


@pytest.mark.parametrize("service", ["gateway", "activations", "worker", "model-worker"])
def test_the_data_mount_point_belongs_to_the_services_user(
    project_root: Path, service: str
) -> None:
    """A new named volume takes the owner of its mount point: data-init (compose) writes
    the downloaded data set into it as user 10001."""
    final = dockerfile_stages(project_root / DOCKER / f"{service}.Dockerfile")[-1]
    runs = " ".join(rest for keyword, rest in final.instructions if keyword == "RUN")
    assert "install -d -o cnn101 -g cnn101 /data" in runs


@pytest.mark.parametrize("service", ["inference", "activations", "evaluation", "studio", "gateway"])
def test_servers_listen_beyond_the_container(project_root: Path, service: str) -> None:
    """The processes' default is loopback; in a container that would reach no one."""
    final = dockerfile_stages(project_root / DOCKER / f"{service}.Dockerfile")[-1]
    env = " ".join(rest for keyword, rest in final.instructions if keyword == "ENV")
    assert f"CNN101_{service.upper()}_HOST=0.0.0.0" in env

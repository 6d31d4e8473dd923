"""The Dockerfiles, checked without an engine: stages, users, files, commands, dependencies."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest

from services.runner import service_commands
from tests.infra.files import (
    copy_sources,
    dockerfile_stages,
    dockerignore_patterns,
    dockerignored,
)

DOCKER = Path("infra") / "docker"
SERVICES = ("inference", "activations", "worker", "model-worker", "evaluation", "gateway")
# The module each image runs: what it must be able to import.
ENTRY_MODULES = {
    "gateway": "services.gateway.app",
    "worker": "services.worker.app",
    "evaluation": "evaluation.app",
}


# Top-level packages of the project and the folders that hold them.
PROJECT_FOLDERS = {"services": "services", "evaluation": "evaluation", "cnn101": "proto"}


def _requirements_module(project_root: Path) -> dict[str, object]:
    """``infra/docker/requirements.py`` loaded as the images run it."""
    import runpy

    return runpy.run_path(str(project_root / DOCKER / "requirements.py"))


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


def test_dockerignore_keeps_the_bulk_out(project_root: Path) -> None:
    patterns = dockerignore_patterns(project_root)
    for path in (".venv/bin/python", "frontend/node_modules/react", ".git/HEAD", ".env"):
        assert dockerignored(path, patterns), path
    for path in ("services/gateway/app.py", "frontend/src/main.tsx", "models/tiny_vgg"):
        assert not dockerignored(path, patterns), path


def test_the_spa_is_built_through_nodeenv_in_a_python_image(project_root: Path) -> None:
    stages = dockerfile_stages(project_root / DOCKER / "gateway.Dockerfile")
    spa = next(stage for stage in stages if stage.name == "spa")
    assert spa.base == "${PYTHON_IMAGE}"
    runs = " ".join(rest for keyword, rest in spa.instructions if keyword == "RUN")
    assert "nodeenv" in runs and "npm ci" in runs and "npm run build" in runs
    final = " ".join(rest for keyword, rest in stages[-1].instructions)
    assert "--from=spa /src/frontend/dist" in final


@pytest.mark.parametrize("names", ["gateway.txt", "worker.txt", "evaluation.txt", None])
def test_requirements_come_from_pyproject(project_root: Path, names: str | None) -> None:
    select = _requirements_module(project_root)["select"]
    assert callable(select)
    names_file = project_root / DOCKER / "requirements" / names if names else None
    selected = select(project_root / "pyproject.toml", names_file)
    pyproject = (project_root / "pyproject.toml").read_text()
    assert selected
    for requirement in selected:
        assert f'"{requirement}"' in pyproject, requirement


def test_an_unknown_requirement_name_is_refused(project_root: Path, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("fastapi\nno-such-package\n")
    result = subprocess.run(
        [sys.executable, str(project_root / DOCKER / "requirements.py"), "pyproject.toml", names],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "no-such-package" in result.stderr


def _closure(requirements: list[str]) -> set[str]:
    """The distributions the requirements install, transitively (with their extras)."""

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    seen: set[str] = set()
    pending = list(requirements)
    while pending:
        requirement = pending.pop()
        match = re.match(r"([A-Za-z0-9._-]+)(?:\[([^\]]+)\])?", requirement)
        assert match, requirement
        name, extras = norm(match.group(1)), set((match.group(2) or "").split(",")) - {""}
        marker_extras = {f'extra == "{extra}"' for extra in extras}
        if name in seen and not extras:
            continue
        seen.add(name)
        try:
            declared = requires(name) or []
        except PackageNotFoundError:
            continue  # not installed here: an optional dependency of another platform
        for dependency in declared:
            requirement_part, _, marker = dependency.replace("'", '"').partition(";")
            if "extra ==" in marker and not any(m in marker for m in marker_extras):
                continue
            pending.append(requirement_part.strip())
    return seen


def _project_imports(project_root: Path, module: str) -> tuple[set[str], set[str]]:
    """The project folders ``module`` loads code from, and the packages that code imports.

    A library's own imports are its metadata's business (``_closure`` follows it); its
    optional imports (tried, skipped when absent) would be false alarms here.
    """
    probe = (
        f"import json, sys, {module}; print(json.dumps(sorted("
        "m.__file__ for n, m in list(sys.modules.items()) if getattr(m, '__file__', None) "
        "and n.split('.')[0] in ('services', 'evaluation', 'cnn101'))))"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], cwd=project_root, capture_output=True, text=True, check=True
    ).stdout
    imported: set[str] = set()
    folders: set[str] = set()
    for path in json.loads(output.strip().splitlines()[-1]):
        folders.add(Path(path).resolve().relative_to(project_root).parts[0])
        for node in ast.walk(ast.parse(Path(path).read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    return folders, imported


@pytest.mark.parametrize("service", sorted(ENTRY_MODULES))
def test_small_images_hold_every_package_their_service_imports(
    project_root: Path, service: str
) -> None:
    select = _requirements_module(project_root)["select"]
    assert callable(select)
    requirements = select(
        project_root / "pyproject.toml", project_root / DOCKER / "requirements" / f"{service}.txt"
    )
    installed = _closure(requirements)
    folders, imports = _project_imports(project_root, ENTRY_MODULES[service])
    final = dockerfile_stages(project_root / DOCKER / f"{service}.Dockerfile")[-1]
    # Also the project code imported lazily (inside a function) by the code loaded.
    folders |= {PROJECT_FOLDERS[name] for name in imports if name in PROJECT_FOLDERS}
    assert folders <= set(copy_sources(final)), f"the {service} image lacks code it imports"
    owners = packages_distributions()
    missing = []
    for module in sorted(imports):
        distributions = {re.sub(r"[-_.]+", "-", d).lower() for d in owners.get(module, [])}
        if module in PROJECT_FOLDERS or not distributions:
            continue  # the project itself, or the standard library
        if not distributions & installed:
            missing.append(f"{module} ({', '.join(sorted(distributions))})")
    assert missing == [], f"the {service} image lacks: {missing}"


@pytest.mark.parametrize("service", ["inference", "activations", "evaluation", "gateway"])
def test_servers_listen_beyond_the_container(project_root: Path, service: str) -> None:
    """The processes' default is loopback; in a container that would reach no one."""
    final = dockerfile_stages(project_root / DOCKER / f"{service}.Dockerfile")[-1]
    env = " ".join(rest for keyword, rest in final.instructions if keyword == "ENV")
    assert f"CNN101_{service.upper()}_HOST=0.0.0.0" in env

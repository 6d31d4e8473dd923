"""The compose file, checked without a Docker engine: files exist, commands match the runner."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import yaml


def _compose(project_root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((project_root / "docker-compose.yml").read_text())
    return loaded


def test_python_services_run_modules_that_exist(project_root: Path) -> None:
    services = _compose(project_root)["services"]
    modules = {
        "inference": "services.inference.server",
        "activations": "services.activations.server",
        "gateway": "services.gateway.app",
    }
    for name, module in modules.items():
        assert services[name]["command"] == ["python", "-m", module]
        assert importlib.util.find_spec(module) is not None
    assert services["worker"]["command"][:3] == ["celery", "-A", "services.worker.app"]
    runner = (project_root / "services" / "runner.py").read_text()
    for module in modules.values():
        assert f'"{module}"' in runner


def test_build_contexts_and_mounted_files_exist(project_root: Path) -> None:
    services = _compose(project_root)["services"]
    for service in services.values():
        build = service.get("build")
        if build:
            assert (project_root / build["context"] / build["dockerfile"]).is_file()
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (project_root / source).exists(), source


def test_tf_serving_alternative_serves_the_same_models(project_root: Path) -> None:
    services = _compose(project_root)["services"]
    tf_serving = services["tf-serving"]
    assert tf_serving["profiles"] == ["tf-serving"]
    assert "./models:/models:ro" in tf_serving["volumes"]
    config = (project_root / "infra" / "tfserving" / "models.config").read_text()
    configured = set(re.findall(r'base_path: "/models/([^"]+)"', config))
    on_disk = {p.name for p in (project_root / "models").iterdir() if p.is_dir()}
    assert configured == on_disk


def test_every_dependency_waits_for_health(project_root: Path) -> None:
    services = _compose(project_root)["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, (name, dependency)
            assert "healthcheck" in services[dependency], dependency

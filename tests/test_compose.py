"""The compose file, checked without a Docker engine.

It follows the Compose Specification's schema (vendored in ``infra/compose/``), refuses to
start without its secrets, waits on real health checks, runs the commands ``cnn101 run``
runs, and every file it builds from or mounts exists.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from services.runner import service_commands
from tests.infra.files import (
    MissingVariableError,
    compose_variables,
    env_file,
    load_compose,
)

SECRETS = ("CNN101_POSTGRES_PASSWORD", "CNN101_EVALUATION_SECRET_KEY")
OUR_SERVICES = ("inference", "activations", "worker", "model-worker", "evaluation", "gateway")


@pytest.fixture(scope="module")
def filled_env(project_root: Path) -> dict[str, str]:
    """``.env.example`` with its secrets filled in, as an instructor's ``.env`` would be."""
    values = env_file(project_root / ".env.example")
    values["CNN101_POSTGRES_PASSWORD"] = "a1b2c3d4e5f6a1b2c3d4e5f6"
    values["CNN101_EVALUATION_SECRET_KEY"] = "0123456789abcdef" * 4
    return values


@pytest.fixture(scope="module")
def compose(project_root: Path, filled_env: dict[str, str]) -> dict[str, Any]:
    return load_compose(project_root, filled_env)


def _validator(project_root: Path) -> jsonschema.Draft7Validator:
    """The schema declares draft-07 (its ``$schema`` URL lacks the ``#`` jsonschema keys on)."""
    schema = json.loads((project_root / "infra" / "compose" / "compose-spec.json").read_text())
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_compose_file_follows_the_compose_specification(
    project_root: Path, compose: dict[str, Any]
) -> None:
    validator = _validator(project_root)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []
    # Also before interpolation, as the file is written.
    assert list(validator.iter_errors(load_compose(project_root))) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "gateway", "healthcheck", "intervall"), "10s"),
        (("services", "gateway", "depends_on", "evaluation", "condition"), "service_ready"),
        (("services", "redis", "restart"), ["always"]),
        (("volumes", "study-db"), {"drivr": "local"}),
    ],
)
def test_the_schema_rejects_a_broken_compose_file(
    project_root: Path, compose: dict[str, Any], path: tuple[str, ...], value: object
) -> None:
    broken = copy.deepcopy(compose)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert list(_validator(project_root).iter_errors(broken)), path


def test_secrets_must_be_set_and_are_documented(
    project_root: Path, filled_env: dict[str, str]
) -> None:
    text = (project_root / "docker-compose.yml").read_text()
    variables = compose_variables(text)
    example = (project_root / ".env.example").read_text()
    for name in variables:
        assert re.search(rf"^#? ?{name}=", example, re.MULTILINE), f"{name} not in .env.example"
    for secret in SECRETS:
        assert variables[secret] == ":?", secret
        assert env_file(project_root / ".env.example")[secret] == "", "no secret in the example"
        with pytest.raises(MissingVariableError, match=secret):
            load_compose(project_root, {k: v for k, v in filled_env.items() if k != secret})
    assert ".env" in (project_root / ".gitignore").read_text().splitlines()
    assert ".env" in (project_root / ".dockerignore").read_text().splitlines()


def test_study_service_runs_on_postgres_in_production(compose: dict[str, Any]) -> None:
    evaluation = compose["services"]["evaluation"]["environment"]
    assert evaluation["CNN101_ENV"] == "production"
    assert evaluation["CNN101_EVALUATION_DATABASE_URL"].startswith(
        "postgresql+psycopg://cnn101:a1b2c3d4e5f6a1b2c3d4e5f6@postgres:5432/"
    )
    assert len(evaluation["CNN101_EVALUATION_SECRET_KEY"]) >= 32
    postgres = compose["services"]["postgres"]
    assert postgres["environment"]["POSTGRES_PASSWORD"] == "a1b2c3d4e5f6a1b2c3d4e5f6"
    assert "study-db:/var/lib/postgresql/data" in postgres["volumes"]
    assert "SELECT 1" in " ".join(postgres["healthcheck"]["test"])


def test_our_services_run_the_runners_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    expected = service_commands("python", "/tmp")
    assert set(expected) == set(OUR_SERVICES)
    for name, command in expected.items():
        assert services[name]["command"] == command, name


def test_every_service_is_health_checked_and_restarted(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert service.get("restart") == "unless-stopped", name
        test = service["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
    checks = {name: " ".join(s["healthcheck"]["test"]) for name, s in compose["services"].items()}
    assert "redis-cli ping" in checks["redis"]
    assert "HealthStub" in checks["inference"] and "localhost:8500" in checks["inference"]
    assert "HealthStub" in checks["activations"] and "localhost:8510" in checks["activations"]
    assert "/health/ready" in checks["gateway"]
    assert "localhost:8001/health" in checks["evaluation"]
    assert "inspect ping" in checks["worker"]


def test_every_dependency_waits_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition["condition"] == "service_healthy", (name, dependency)
            assert "healthcheck" in services[dependency], dependency
            # Only the optional TF Serving container may be absent.
            assert condition.get("required", True) or "profiles" in services[dependency]


def test_build_contexts_and_mounted_files_exist(
    project_root: Path, compose: dict[str, Any]
) -> None:
    named = set(compose["volumes"])
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            assert (project_root / build["context"] / build["dockerfile"]).is_file(), name
            assert service["image"].startswith(f"cnn101/{name}:")
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                continue  # the data folder: the instructor's, from .env
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (project_root / source).exists(), source
            else:
                assert source in named, (name, source)


def test_tf_serving_alternative_serves_the_same_models(
    project_root: Path, compose: dict[str, Any]
) -> None:
    services = compose["services"]
    tf_serving = services["tf-serving"]
    assert tf_serving["profiles"] == ["tf-serving"]
    assert "models:/models:ro" in tf_serving["volumes"]
    assert "models:/app/models" in services["inference"]["volumes"]
    config = (project_root / "infra" / "tfserving" / "models.config").read_text()
    configured = set(re.findall(r'base_path: "/models/([^"]+)"', config))
    on_disk = {p.name for p in (project_root / "models").iterdir() if p.is_dir()}
    assert configured == on_disk

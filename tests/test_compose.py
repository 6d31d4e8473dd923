"""The compose file, checked without a Docker engine.

It follows the Compose Specification's schema (vendored in ``infra/compose/``), starts on a
fresh machine without a ``.env`` (secrets made by ``secrets-init``, the data set fetched by
``data-init``), waits on real health checks, runs the commands ``cnn101 run`` runs, and
every file it builds from or mounts exists.
"""

from __future__ import annotations

import copy
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from services.common.secrets import weakness
from services.runner import service_commands
from tests.infra.files import compose_variables, env_file, load_compose

OUR_SERVICES = (
    "inference",
    "activations",
    "worker",
    "beat",
    "model-worker",
    "evaluation",
    "studio",
    "gateway",
)
ONE_SHOTS = ("secrets-init", "data-init")
SECRETS_SCRIPT = Path("infra") / "compose" / "secrets_init.py"
DATABASE_SERVICES = ("evaluation", "studio", "worker", "model-worker")
DATA_SERVICES = ("activations", "worker", "model-worker", "gateway")


def _documented(project_root: Path) -> dict[str, str]:
    """Every setting ``.env.example`` shows, commented out or not, with its example value."""
    values: dict[str, str] = {}
    for line in (project_root / ".env.example").read_text().splitlines():
        match = re.match(r"^#? ?(CNN101_\w+)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2).strip()
    return values


@pytest.fixture(scope="module")
def compose(project_root: Path) -> dict[str, Any]:
    """The compose file on a fresh machine: no ``.env`` at all."""
    return load_compose(project_root, {})


@pytest.fixture(scope="module")
def customised(project_root: Path) -> dict[str, Any]:
    """The compose file with every setting of ``.env.example`` set (secrets too)."""
    values = _documented(project_root)
    values["CNN101_EVALUATION_SECRET_KEY"] = "0123456789abcdef" * 4
    values["CNN101_POSTGRES_PASSWORD"] = "a1b2c3d4e5f6a1b2c3d4e5f6"
    values["CNN101_DATA_HOST_DIR"] = "/srv/cnn101/data"
    return load_compose(project_root, values)


def _validator(project_root: Path) -> jsonschema.Draft7Validator:
    """The schema declares draft-07 (its ``$schema`` URL lacks the ``#`` jsonschema keys on)."""
    schema = json.loads((project_root / "infra" / "compose" / "compose-spec.json").read_text())
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_compose_file_follows_the_compose_specification(
    project_root: Path, compose: dict[str, Any], customised: dict[str, Any]
) -> None:
    validator = _validator(project_root)
    for loaded in (compose, customised, load_compose(project_root)):
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(loaded)]
        assert errors == []


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


def test_a_first_start_needs_no_env_file(project_root: Path, compose: dict[str, Any]) -> None:
    """Every variable has a default; each is documented in ``.env.example``, all optional."""
    variables = compose_variables((project_root / "docker-compose.yml").read_text())
    assert variables, "the file reads settings"
    required = {name: op for name, op in variables.items() if op not in (":-", "-")}
    assert required == {}, "a variable without a default: compose would need a .env"
    documented = _documented(project_root)
    assert set(variables) <= set(documented), "a setting missing from .env.example"
    assert env_file(project_root / ".env.example") == {}, "the example sets nothing"
    evaluation = compose["services"]["evaluation"]["environment"]
    assert evaluation["CNN101_EVALUATION_PUBLIC_URL"] == "http://localhost:8000"
    assert ".env" in (project_root / ".gitignore").read_text().splitlines()
    assert ".env" in (project_root / ".dockerignore").read_text().splitlines()


def _mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """A service's volumes: target -> (source, read-only)."""
    found: dict[str, tuple[str, bool]] = {}
    for volume in service.get("volumes", []):
        assert isinstance(volume, str), "short syntax: source:target[:ro]"
        source, target, *mode = volume.split(":")
        found[target] = (source, mode == ["ro"])
    return found


def test_one_shot_services_prepare_the_first_start(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ONE_SHOTS:
        assert services[name]["restart"] == "no", name
        assert "healthcheck" not in services[name], name
    depends = {name: set(s.get("depends_on", {})) for name, s in services.items()}
    for name in (*DATABASE_SERVICES, "postgres"):
        assert "secrets-init" in depends[name], name
    for name in DATA_SERVICES:
        assert "data-init" in depends[name], name


def test_every_dependency_waits_for_health_or_completion(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            if dependency in ONE_SHOTS:
                assert condition["condition"] == "service_completed_successfully", name
            else:
                assert condition["condition"] == "service_healthy", (name, dependency)
                assert "healthcheck" in services[dependency], dependency
            # Only the optional TF Serving container may be absent.
            assert condition.get("required", True) or "profiles" in services[dependency]


def test_secrets_are_made_on_the_first_start_and_kept(
    project_root: Path, compose: dict[str, Any]
) -> None:
    services = compose["services"]
    init = services["secrets-init"]
    assert init["image"] == "python:3.11-slim" and init["user"] == "0"
    assert init["network_mode"] == "none"
    assert init["command"] == ["python", "/secrets_init.py"]
    mounts = _mounts(init)
    assert mounts["/secrets_init.py"] == (f"./{SECRETS_SCRIPT}", True)
    assert mounts["/secrets/study"] == ("study-secrets", False)
    assert mounts["/secrets/database"] == ("database-secrets", False)
    # Without a .env nothing is handed in: the script makes the values.
    assert init["environment"] == {
        "CNN101_EVALUATION_SECRET_KEY": "",
        "CNN101_POSTGRES_PASSWORD": "",
    }
    postgres = services["postgres"]
    assert "POSTGRES_PASSWORD" not in postgres["environment"]
    assert (
        postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/secrets/database/postgres_password"
    )
    assert _mounts(postgres)["/secrets/database"] == ("database-secrets", True)
    # The signing key reaches the study service only.
    for name, service in services.items():
        sources = {source for source, _ in _mounts(service).values()}
        if name not in ("secrets-init", "evaluation"):
            assert "study-secrets" not in sources, name
        if name != "secrets-init":
            values = service.get("environment", {})
            assert not [k for k in values if k.endswith(("SECRET_KEY", "PASSWORD"))], name
    evaluation = services["evaluation"]
    assert evaluation["environment"]["CNN101_SECRETS_DIR"] == "/secrets/study"
    assert _mounts(evaluation)["/secrets/study"] == ("study-secrets", True)


def test_an_instructors_secrets_from_env_reach_secrets_init(customised: dict[str, Any]) -> None:
    environment = customised["services"]["secrets-init"]["environment"]
    assert environment["CNN101_EVALUATION_SECRET_KEY"] == "0123456789abcdef" * 4
    assert environment["CNN101_POSTGRES_PASSWORD"] == "a1b2c3d4e5f6a1b2c3d4e5f6"


@pytest.mark.parametrize("service", DATABASE_SERVICES)
def test_database_urls_carry_no_password(compose: dict[str, Any], service: str) -> None:
    """libpq reads the password from the ``.pgpass`` file secrets-init keeps."""
    definition = compose["services"][service]
    environment = definition["environment"]
    urls = [value for key, value in environment.items() if key.endswith("_DATABASE_URL")]
    assert urls == ["postgresql+psycopg://cnn101@postgres:5432/cnn101"]
    assert environment["PGPASSFILE"] == "/secrets/database/pgpass"
    assert _mounts(definition)["/secrets/database"] == ("database-secrets", True)
    assert {"postgres", "secrets-init"} <= set(definition["depends_on"])


def test_each_database_user_gets_the_url_it_reads(compose: dict[str, Any]) -> None:
    services = compose["services"]
    evaluation, studio = services["evaluation"]["environment"], services["studio"]["environment"]
    worker, model_worker = (
        services["worker"]["environment"],
        services["model-worker"]["environment"],
    )
    assert evaluation["CNN101_ENV"] == "production"
    # The study's and the studio's tables share the study's database.
    assert studio["CNN101_STUDIO_DATABASE_URL"] == evaluation["CNN101_EVALUATION_DATABASE_URL"]
    # The general worker builds study reports; the model worker writes the studio's jobs.
    assert "CNN101_EVALUATION_DATABASE_URL" in worker
    assert "CNN101_STUDIO_DATABASE_URL" in model_worker
    assert "CNN101_EVALUATION_DATABASE_URL" not in model_worker
    postgres = services["postgres"]
    assert "study-db:/var/lib/postgresql/data" in postgres["volumes"]
    assert "SELECT 1" in " ".join(postgres["healthcheck"]["test"])


def test_the_studio_is_served_behind_the_gateway(compose: dict[str, Any]) -> None:
    services = compose["services"]
    studio, gateway = services["studio"], services["gateway"]
    assert gateway["environment"]["CNN101_STUDIO_URL"] == "http://studio:8002"
    assert gateway["depends_on"]["studio"] == {"condition": "service_healthy"}
    assert "localhost:8002/health" in " ".join(studio["healthcheck"]["test"])
    assert "ports" not in studio, "only the proxy's port is published"
    assert _mounts(studio)["/app/models"] == ("models", True)
    assert studio["environment"]["CNN101_MODEL_BASE_PATH"] == "/app/models"
    assert studio["environment"]["CNN101_EVALUATION_URL"] == "http://evaluation:8001"
    assert studio["environment"]["CNN101_BROKER_URL"] == "redis://redis:6379/1"


def test_students_reach_the_platform_through_the_proxy_alone(
    project_root: Path, compose: dict[str, Any], customised: dict[str, Any]
) -> None:
    """nginx with the shipped site holds a class the gateway alone did not (docs/sizing.md):
    it publishes the one port, and the services it passes to believe its X-Forwarded-For."""
    services = compose["services"]
    published = {name for name, service in services.items() if "ports" in service}
    assert published == {"proxy"}
    proxy = services["proxy"]
    assert proxy["ports"] == ["8000:80"]
    assert customised["services"]["proxy"]["ports"] == [
        f"{_documented(project_root)['CNN101_PUBLIC_PORT']}:80"
    ]
    mounts = _mounts(proxy)
    assert mounts["/etc/cnn101/cnn101.conf"] == ("./infra/nginx/cnn101.conf", True)
    assert mounts["/etc/nginx/nginx.conf"] == ("./infra/nginx/compose/nginx.conf", True)
    script = "/docker-entrypoint.d/40-cnn101-site.sh"
    assert mounts[script] == ("./infra/nginx/compose/40-cnn101-site.sh", True)
    # The same folder the worker renders into and the site's `root /var/lib/cnn101;` reads.
    assert mounts["/var/lib/cnn101/static"] == ("static", True)
    assert _mounts(services["worker"])["/var/lib/cnn101/static"] == ("static", False)
    # The upstreams are the services' own ports (their health checks ask the same ones).
    env = proxy["environment"]
    assert env["CNN101_PROXY_GATEWAY"] == "gateway:8000"
    assert env["CNN101_PROXY_STUDY"] == "evaluation:8001"
    assert "localhost:8000/" in " ".join(services["gateway"]["healthcheck"]["test"])
    assert "localhost:8001/" in " ".join(services["evaluation"]["healthcheck"]["test"])
    for name in ("gateway", "evaluation"):
        assert proxy["depends_on"][name] == {"condition": "service_healthy", "restart": True}
    assert services["gateway"]["environment"]["CNN101_GATEWAY_TRUSTED_PROXIES"] == "*"
    assert services["evaluation"]["environment"]["CNN101_EVALUATION_TRUSTED_PROXIES"] == "*"
    assert "/health/live" in " ".join(proxy["healthcheck"]["test"])


def test_the_data_set_is_downloaded_unless_a_folder_is_given(
    compose: dict[str, Any], customised: dict[str, Any]
) -> None:
    services = compose["services"]
    init = services["data-init"]
    script = " ".join(init["command"])
    assert "python -m services.cli data download" in script
    assert "[ -f /data/tiny-imagenet-10/val/val_annotations.txt ]" in script
    assert init["environment"]["CNN101_DATA_DIR"] == "/data/tiny-imagenet-10"
    # The model worker's image carries `services.cli` (tests/infra/test_images.py).
    assert init["image"] == services["model-worker"]["image"]
    assert init["build"] == services["model-worker"]["build"]
    assert _mounts(init)["/data"] == ("data", False)
    for name in DATA_SERVICES:
        assert _mounts(services[name])["/data"] == ("data", True), name
        assert services[name]["environment"]["CNN101_DATA_DIR"] == "/data/tiny-imagenet-10"
    # An instructor's folder is bind-mounted instead (a path, so compose binds it).
    given = customised["services"]
    assert _mounts(given["data-init"])["/data"] == ("/srv/cnn101/data", False)
    for name in DATA_SERVICES:
        assert _mounts(given[name])["/data"] == ("/srv/cnn101/data", True), name


def test_our_services_run_the_runners_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    expected = service_commands("python", "/tmp")
    assert set(expected) == set(OUR_SERVICES)
    for name, command in expected.items():
        assert services[name]["command"] == command, name


def test_every_service_is_health_checked_and_restarted(compose: dict[str, Any]) -> None:
    long_running = {n: s for n, s in compose["services"].items() if n not in ONE_SHOTS}
    for name, service in long_running.items():
        assert service.get("restart") == "unless-stopped", name
        test = service["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
    checks = {name: " ".join(s["healthcheck"]["test"]) for name, s in long_running.items()}
    assert "redis-cli ping" in checks["redis"] and "redis-cli ping" in checks["cache-redis"]
    assert "HealthStub" in checks["inference"] and "localhost:8500" in checks["inference"]
    assert "HealthStub" in checks["activations"] and "localhost:8510" in checks["activations"]
    assert "localhost:8000/health/live" in checks["gateway"]
    assert "localhost:8001/health" in checks["evaluation"]
    assert "localhost:8002/health" in checks["studio"]
    assert "inspect ping" in checks["worker"] and "inspect ping" in checks["model-worker"]
    assert "services.worker.beat check /tmp/beat-schedule" in checks["beat"]
    # Compose only marks a failing container unhealthy; our services' checks end the
    # process after three failures in a row, so the restart policy replaces a wedged one.
    for name in OUR_SERVICES:
        assert "services.common.liveness --end-after 3 --" in checks[name], name


def test_the_cache_and_the_broker_live_in_separate_redis(compose: dict[str, Any]) -> None:
    """The cache's bound (allkeys-lru) must never evict queued tasks or presentations."""
    services = compose["services"]
    cache, state = services["cache-redis"]["command"], services["redis"]["command"]
    assert cache[cache.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert "--maxmemory" in cache
    assert state[state.index("--maxmemory-policy") + 1] == "noeviction"
    env = services["activations"]["environment"]
    assert env["CNN101_CACHE_REDIS_URL"].startswith("redis://cache-redis:")
    assert env["CNN101_BROKER_URL"].startswith("redis://redis:")
    assert env["CNN101_REDIS_URL"].startswith("redis://redis:")


def test_build_contexts_and_mounted_files_exist(
    project_root: Path, compose: dict[str, Any]
) -> None:
    named = set(compose["volumes"])
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            assert (project_root / build["context"] / build["dockerfile"]).is_file(), name
            image = build["dockerfile"].removeprefix("infra/docker/").removesuffix(".Dockerfile")
            assert service["image"].startswith(f"cnn101/{image}:"), name
            # data-init runs the model worker's image, beat the worker's.
            assert name in (image, "data-init", "beat"), "an image is built for its own service"
        for source, _ in _mounts(service).values():
            if source.startswith("./"):
                assert (project_root / source).exists(), source
            else:
                assert source in named, (name, source)
    used = {source for s in compose["services"].values() for source, _ in _mounts(s).values()}
    assert named <= used, "a volume nothing mounts"


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


# --- infra/compose/secrets_init.py, run as compose runs it (here as an unprivileged user) ---


def _run_secrets_init(
    project_root: Path, folder: Path, **given: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "CNN101_STUDY_SECRETS_DIR": str(folder / "study"),
        "CNN101_DATABASE_SECRETS_DIR": str(folder / "database"),
        **given,
    }
    return subprocess.run(
        [sys.executable, str(project_root / SECRETS_SCRIPT)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _private(path: Path) -> str:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    return path.read_text()


def test_secrets_init_makes_private_secrets_once_and_keeps_them(
    project_root: Path, tmp_path: Path
) -> None:
    first = _run_secrets_init(project_root, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "key made" in first.stdout and "password made" in first.stdout
    key = _private(tmp_path / "study" / "cnn101_evaluation_secret_key").strip()
    password = _private(tmp_path / "database" / "postgres_password")
    assert weakness(key) is None
    assert re.fullmatch(r"[0-9a-f]{48}", password)
    pgpass = _private(tmp_path / "database" / "pgpass")
    assert pgpass == f"*:*:cnn101:cnn101:{password}\n"
    assert stat.S_IMODE((tmp_path / "study").stat().st_mode) == 0o700
    assert key not in first.stdout + first.stderr and password not in first.stdout + first.stderr
    again = _run_secrets_init(project_root, tmp_path)
    assert again.returncode == 0 and "key kept" in again.stdout
    assert _private(tmp_path / "study" / "cnn101_evaluation_secret_key").strip() == key
    assert _private(tmp_path / "database" / "postgres_password") == password
    other = tmp_path / "other"
    assert _run_secrets_init(project_root, other).returncode == 0
    assert (other / "study" / "cnn101_evaluation_secret_key").read_text().strip() != key


def test_the_study_service_reads_the_key_secrets_init_made(
    project_root: Path, tmp_path: Path
) -> None:
    assert _run_secrets_init(project_root, tmp_path).returncode == 0
    kept = (tmp_path / "study" / "cnn101_evaluation_secret_key").read_text().strip()
    probe = (
        "from evaluation.settings import EvaluationSettings; "
        "print(EvaluationSettings(env='production').with_signing_key().signing_key)"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CNN101_")}
    environment["CNN101_SECRETS_DIR"] = str(tmp_path / "study")
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=project_root,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip() == kept


def test_an_instructors_values_win_and_are_checked(project_root: Path, tmp_path: Path) -> None:
    assert _run_secrets_init(project_root, tmp_path).returncode == 0
    chosen_key = "f0e1d2c3b4a5968778695a4b3c2d1e0f" * 2
    chosen = _run_secrets_init(
        project_root,
        tmp_path,
        CNN101_EVALUATION_SECRET_KEY=chosen_key,
        CNN101_POSTGRES_PASSWORD="pa:ss\\word",
    )
    assert chosen.returncode == 0 and "set from .env" in chosen.stdout
    # A password changed after the database was made must be changed there too.
    assert "ALTER ROLE" in chosen.stderr
    assert (tmp_path / "study" / "cnn101_evaluation_secret_key").read_text().strip() == chosen_key
    assert _private(tmp_path / "database" / "postgres_password") == "pa:ss\\word"
    assert _private(tmp_path / "database" / "pgpass") == "*:*:cnn101:cnn101:pa\\:ss\\\\word\n"
    short = _run_secrets_init(project_root, tmp_path, CNN101_EVALUATION_SECRET_KEY="too-short")
    assert short.returncode == 2 and "shorter than 32" in short.stderr
    assert (tmp_path / "study" / "cnn101_evaluation_secret_key").read_text().strip() == chosen_key

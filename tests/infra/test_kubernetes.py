"""The Kubernetes manifests (``infra/k8s``), rendered as kustomize would and checked.

Every object is validated against the Kubernetes JSON schemas (``kubernetes-validate``,
strict: an unknown field is an error) of the oldest and newest versions we support; the
references between objects (Services, Secrets, ConfigMaps, claims, autoscalers) resolve;
the services run the commands ``cnn101 run`` runs.
"""

from __future__ import annotations

import copy
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from services.common import nginx_site
from services.common.secrets import weakness
from services.runner import service_commands
from tests.infra.files import IMAGES, env_file

K8S = Path("infra") / "k8s"
# gRPC probes are GA from 1.27; the newest schemas the package ships.
VERSIONS = ("1.27", "1.37")
Manifest = dict[str, Any]


def _render(project_root: Path) -> list[Manifest]:
    """kustomization.yaml applied: resources, namespace, labels, the generated Secret."""
    folder = project_root / K8S
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    objects: list[Manifest] = []
    for resource in kustomization["resources"]:
        objects.extend(doc for doc in yaml.safe_load_all((folder / resource).read_text()) if doc)
    for generator in kustomization["secretGenerator"]:
        # secrets.env is the site's own file (kept out of git); its example has the keys.
        keys: dict[str, str] = {}
        for env in generator["envs"]:
            keys |= env_file(folder / f"{env}.example")
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": generator["name"]},
                "stringData": {key: value or "filled-in" for key, value in keys.items()},
            }
        )
    labels = {k: v for pairs in kustomization["labels"] for k, v in pairs["pairs"].items()}
    for manifest in objects:
        metadata = manifest["metadata"]
        metadata.setdefault("labels", {}).update(labels)
        if manifest["kind"] != "Namespace":
            metadata["namespace"] = kustomization["namespace"]
    return objects


@pytest.fixture(scope="module")
def manifests(project_root: Path) -> list[Manifest]:
    return _render(project_root)


def _find(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _pod_specs(manifests: list[Manifest]) -> dict[str, dict[str, Any]]:
    return {
        f"{m['kind']}/{m['metadata']['name']}": m["spec"]["template"]["spec"]
        for m in manifests
        if m["kind"] in ("Deployment", "StatefulSet", "Job")
    }


def test_every_manifest_is_listed_and_every_listed_file_exists(project_root: Path) -> None:
    folder = project_root / K8S
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    assert all((folder / name).is_file() for name in listed)
    on_disk = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk == set(listed)


@pytest.mark.parametrize("version", VERSIONS)
def test_manifests_follow_the_kubernetes_schemas(manifests: list[Manifest], version: str) -> None:
    errors = []
    for manifest in manifests:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            errors.append(f"{manifest['kind']}/{manifest['metadata']['name']} {path}: {error}")
    assert errors == []


@pytest.mark.parametrize(
    ("kind", "name", "path", "value"),
    [
        ("Deployment", "gateway", ("spec", "template", "spec", "containers", 0, "probe"), {}),
        ("HorizontalPodAutoscaler", "gateway", ("spec", "maxReplicas"), "ten"),
        ("Service", "inference", ("spec", "ports", 0, "port"), "8500"),
        ("Ingress", "cnn101", ("spec", "rules", 0, "http", "paths", 0, "pathType"), None),
    ],
)
def test_the_schemas_reject_a_broken_manifest(
    manifests: list[Manifest], kind: str, name: str, path: tuple[Any, ...], value: object
) -> None:
    broken = copy.deepcopy(_find(manifests, kind, name))
    target = broken
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_services_run_the_runners_commands(manifests: list[Manifest]) -> None:
    for name, command in service_commands("python", "/tmp").items():
        pod = _find(manifests, "Deployment", name)["spec"]["template"]["spec"]
        assert pod["containers"][0]["command"] == command, name
        image = "worker" if name == "beat" else name  # beat runs the worker's image
        assert pod["containers"][0]["image"] == f"cnn101/{image}"


@pytest.mark.parametrize(
    ("name", "probe"),
    [("gateway", "httpGet"), ("activations", "grpc"), ("inference", "grpc")],
)
def test_scalable_services_have_probes_and_an_autoscaler(
    manifests: list[Manifest], name: str, probe: str
) -> None:
    deployment = _find(manifests, "Deployment", name)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert probe in container["readinessProbe"] and probe in container["livenessProbe"]
    if probe == "httpGet":
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["resources"]["requests"]["cpu"], "the autoscaler needs a CPU request"
    autoscaler = _find(manifests, "HorizontalPodAutoscaler", name)
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": name,
    }
    assert autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"]
    assert autoscaler["spec"]["minReplicas"] == deployment["spec"]["replicas"]


def test_services_select_pods_and_ports_that_exist(manifests: list[Manifest]) -> None:
    workloads = [m for m in manifests if m["kind"] in ("Deployment", "StatefulSet")]
    for service in (m for m in manifests if m["kind"] == "Service"):
        selector = service["spec"]["selector"]
        pods = [
            w
            for w in workloads
            if selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(pods) == 1, service["metadata"]["name"]
        assert selector.items() <= pods[0]["spec"]["selector"]["matchLabels"].items()
        ports = {
            p["name"]
            for c in pods[0]["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, (service["metadata"]["name"], port)


def test_configured_addresses_are_services(manifests: list[Manifest]) -> None:
    config = _find(manifests, "ConfigMap", "cnn101-config")["data"]
    services = {
        m["metadata"]["name"]: {p["port"] for p in m["spec"]["ports"]}
        for m in manifests
        if m["kind"] == "Service"
    }
    addresses = [
        re.sub(r"^[a-z+]+://", "", value).split("/")[0]
        for key, value in config.items()
        if key.endswith(("_TARGET", "_URL", "_BACKEND")) and "PUBLIC" not in key
    ]
    assert len(addresses) == 8
    for address in addresses:
        host, port = address.split(":")
        assert int(port) in services[host], address


def test_references_resolve(manifests: list[Manifest]) -> None:
    secret = _find(manifests, "Secret", "cnn101-secrets")
    config_maps = {m["metadata"]["name"] for m in manifests if m["kind"] == "ConfigMap"}
    claims = {m["metadata"]["name"] for m in manifests if m["kind"] == "PersistentVolumeClaim"}
    for workload, pod in _pod_specs(manifests).items():
        for container in pod.get("initContainers", []) + pod["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps, workload
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    assert reference["name"] == "cnn101-secrets", workload
                    assert reference["key"] in secret["stringData"], (workload, reference)
            mounts = {mount["name"] for mount in container.get("volumeMounts", [])}
            assert mounts <= {v["name"] for v in pod.get("volumes", [])} | {"study-db"}
        for volume in pod.get("volumes", []):
            claim = volume.get("persistentVolumeClaim")
            if claim:
                assert claim["claimName"] in claims, workload
    ingress = _find(manifests, "Ingress", "cnn101")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "gateway", "port": {"name": "http"}}


def test_every_pod_runs_unprivileged(manifests: list[Manifest]) -> None:
    for workload, pod in _pod_specs(manifests).items():
        assert pod["securityContext"]["runAsNonRoot"] is True, workload
        assert pod["securityContext"]["runAsUser"] != 0, workload
        for container in pod.get("initContainers", []) + pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, workload
            assert context["capabilities"]["drop"] == ["ALL"], workload


def test_the_secret_comes_from_a_file_kept_out_of_git(project_root: Path) -> None:
    folder = project_root / K8S
    assert "infra/k8s/secrets.env" in (project_root / ".gitignore").read_text().splitlines()
    example = env_file(folder / "secrets.env.example")
    assert example["CNN101_POSTGRES_PASSWORD"] == ""
    assert example["CNN101_EVALUATION_SECRET_KEY"] == ""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    assert kustomization["secretGenerator"][0]["envs"] == ["secrets.env"]
    images = {image["name"] for image in kustomization["images"]}
    # beat runs the worker's image
    assert images == {f"cnn101/{name}" for name in service_commands("python", "/tmp")} - {
        "cnn101/beat"
    }


def test_make_secrets_fills_every_key_once_and_keeps_what_is_set(
    project_root: Path, tmp_path: Path
) -> None:
    """``make_secrets.py``: strong random values, mode 0600, a second run changes nothing."""
    script = project_root / K8S / "make_secrets.py"
    run = [sys.executable, str(script), "--folder", str(tmp_path)]
    first = subprocess.run(run, capture_output=True, text=True, check=True)
    target = tmp_path / "secrets.env"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    made = env_file(target)
    example = env_file(project_root / K8S / "secrets.env.example")
    assert set(made) == set(example) and all(made.values())
    assert weakness(made["CNN101_EVALUATION_SECRET_KEY"]) is None
    password = made["CNN101_POSTGRES_PASSWORD"]
    assert len(password) == 48 and password.isalnum()
    for key in ("CNN101_EVALUATION_DATABASE_URL", "CNN101_STUDIO_DATABASE_URL"):
        assert made[key] == example[key].replace("PASSWORD", password)
    for value in made.values():  # no value is printed
        assert value not in first.stdout + first.stderr
    subprocess.run(run, capture_output=True, check=True)
    assert env_file(target) == made
    # The instructor's own values win; another machine's run makes other values.
    external = "postgresql+psycopg://course:own@db.school.example:5432/cnn101"
    target.write_text(f"CNN101_STUDIO_DATABASE_URL={external}\n")
    subprocess.run(run, capture_output=True, check=True)
    again = env_file(target)
    assert again["CNN101_STUDIO_DATABASE_URL"] == external
    assert again["CNN101_POSTGRES_PASSWORD"] != password


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {variable["name"]: variable for variable in container.get("env", [])}


def _mounts(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """A container's mounts: path -> (claim or volume name, read-only)."""
    volumes = {
        v["name"]: v.get("persistentVolumeClaim", {}).get("claimName", v["name"])
        for v in pod["volumes"]
    }
    return {
        m["mountPath"]: (volumes[m["name"]], m.get("readOnly", False))
        for m in container.get("volumeMounts", [])
    }


def test_the_studio_is_a_service_behind_the_gateway(manifests: list[Manifest]) -> None:
    deployment = _find(manifests, "Deployment", "studio")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    # It migrates its tables at start-up: one replica, replaced rather than rolled.
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}, probe
    assert {"name": "http", "containerPort": 8002} in container["ports"]
    service = _find(manifests, "Service", "studio")
    assert service["spec"]["ports"] == [{"name": "http", "port": 8002, "targetPort": "http"}]
    config = _find(manifests, "ConfigMap", "cnn101-config")["data"]
    assert config["CNN101_STUDIO_URL"] == "http://studio:8002"
    assert config["CNN101_STUDIO_HOST"] == "0.0.0.0"
    # It lists the models folder; only the model worker writes it.
    assert _mounts(pod, container)[config["CNN101_MODEL_BASE_PATH"]] == ("cnn101-models", True)


def test_each_service_reads_the_database_it_uses(manifests: list[Manifest]) -> None:
    uses = {
        "evaluation": "CNN101_EVALUATION_DATABASE_URL",
        "worker": "CNN101_EVALUATION_DATABASE_URL",  # the study's reports
        "studio": "CNN101_STUDIO_DATABASE_URL",
        "model-worker": "CNN101_STUDIO_DATABASE_URL",  # the studio's job rows
    }
    for name, variable in uses.items():
        container = _find(manifests, "Deployment", name)["spec"]["template"]["spec"]["containers"][
            0
        ]
        urls = {key for key in _env(container) if key.endswith("_DATABASE_URL")}
        assert urls == {variable}, name
        reference = _env(container)[variable]["valueFrom"]["secretKeyRef"]
        assert reference == {"name": "cnn101-secrets", "key": variable}, name


def test_the_data_download_job_runs_an_image_that_holds_the_command(
    manifests: list[Manifest],
) -> None:
    job = _find(manifests, "Job", "cnn101-data-download")["spec"]["template"]["spec"]
    container = job["containers"][0]
    assert container["command"] == ["python", "-m", "services.cli", "data", "download"]
    image = container["image"].removeprefix("cnn101/")
    # tests/infra checks that image holds services.cli's code and packages.
    assert "services.cli" in IMAGES[image].modules
    assert _mounts(job, container)["/data"] == ("cnn101-data", False)


def test_every_gateway_replica_serves_the_files_the_worker_renders(
    manifests: list[Manifest],
) -> None:
    """One shared volume at CNN101_STATIC_ROOT: the worker writes it, the gateways read it
    (without it the worker's read-only root file system refuses the render)."""
    root = _find(manifests, "ConfigMap", "cnn101-config")["data"]["CNN101_STATIC_ROOT"]
    claim = _find(manifests, "PersistentVolumeClaim", "cnn101-static")["spec"]
    assert claim["accessModes"] == ["ReadWriteMany"]
    for name, read_only in (("worker", False), ("gateway", True)):
        pod = _find(manifests, "Deployment", name)["spec"]["template"]["spec"]
        assert _mounts(pod, pod["containers"][0])[root] == ("cnn101-static", read_only), name


def test_the_study_keeps_uploaded_material_on_a_volume_and_takes_large_uploads(
    manifests: list[Manifest],
) -> None:
    """The conventional arm's PDFs and videos outlive the pod; only their upload route
    accepts 501 MB bodies."""
    folder = _find(manifests, "ConfigMap", "cnn101-config")["data"][
        "CNN101_EVALUATION_MATERIAL_DIR"
    ]
    pod = _find(manifests, "Deployment", "evaluation")["spec"]["template"]["spec"]
    assert _mounts(pod, pod["containers"][0])[folder] == ("cnn101-study-material", False)
    upload = _find(manifests, "Ingress", "cnn101-material-upload")
    annotations = upload["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "501m"
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
    paths = upload["spec"]["rules"][0]["http"]["paths"]
    assert [(p["path"], p["pathType"]) for p in paths] == [("/api/instructor/materials", "Exact")]
    main = _find(manifests, "Ingress", "cnn101")["metadata"]["annotations"]
    assert main["nginx.ingress.kubernetes.io/proxy-body-size"] == "11m"


def test_the_ingress_sends_a_students_study_requests_as_the_nginx_site_does(
    manifests: list[Manifest],
) -> None:
    """The class's quiz answers go straight to the study service, as in compose's proxy;
    joining stays with the gateway (it limits joins per network); the rest is the gateway's."""
    rules = _find(manifests, "Ingress", "cnn101")["spec"]["rules"][0]["http"]["paths"]
    routes = {(p["path"], p["pathType"]): p["backend"]["service"] for p in rules}
    assert routes == {
        ("/", "Prefix"): {"name": "gateway", "port": {"name": "http"}},
        ("/api/student/", "Prefix"): {"name": "evaluation", "port": {"name": "http"}},
        ("/api/student/join", "Exact"): {"name": "gateway", "port": {"name": "http"}},
    }
    site = nginx_site.SITE_FILE.read_text()
    assert re.search(r"location /api/student/ \{\s*proxy_pass http://cnn101_study;", site)
    assert re.search(r"location = /api/student/join \{\s*proxy_pass http://cnn101_gateway;", site)

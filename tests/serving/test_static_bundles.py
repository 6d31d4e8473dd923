"""Example bundles and class sprites rendered once by the worker, served as immutable files.

The committed model (a copy of models/tiny_vgg, so nothing is written beside it) behind its
own inference, activation service, Redis and gateway, and a real Celery worker process that
runs ``cnn101.warm_examples``. Bytes the dynamic routes sent before the render are compared
with the files the render wrote.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cnn101.v1 import activations_pb2

from services.activations.server import RunningServer
from services.activations.server import build_server as build_activation_server
from services.activations.settings import ActivationSettings
from services.common.jobs import TaskName, TaskSender
from services.common.paths import DEFAULT_MODEL_BASE_PATH
from services.common.static_layout import MANIFEST, Manifest
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.inference.server import InferenceServer
from services.inference.server import build_server as build_inference_server
from services.inference.settings import InferenceSettings
from services.worker.app import worker_command
from tests.serving.stack import GatewayThread, LoopThread, RedisProcess, wait_until

MODEL = "tiny_vgg"
IMMUTABLE = "public, max-age=31536000, immutable"
BUNDLE_TYPE = "application/x-protobuf; messageType=cnn101.v1.ActivationBundle"
SAMPLED = ("val_1083", "val_1097", "val_1191", "val_181")


@dataclass
class Platform:
    static_root: Path
    gateway: GatewayThread
    settings: GatewaySettings
    tasks: TaskSender
    http: httpx.Client
    # What the dynamic routes sent before anything was rendered.
    dynamic_bundles: dict[str, bytes]
    dynamic_sprites: dict[int, bytes]
    fallback_list: dict[str, Any]


def _render(platform: Platform) -> dict[str, Any]:
    """Send ``cnn101.warm_examples`` for the committed version; the worker's result."""
    result = platform.tasks.result(platform.tasks.send(TaskName.WARM_EXAMPLES, [MODEL, 1]))
    value: dict[str, Any] = result.get(timeout=300)
    return value


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path) -> Iterator[Platform]:
    root = tmp_path_factory.mktemp("static-bundles")
    base_path = root / "models"
    shutil.copytree(DEFAULT_MODEL_BASE_PATH / MODEL, base_path / MODEL)
    static_root = root / "static"
    redis_process = RedisProcess(root)
    redis_process.start()
    inference: InferenceServer
    inference, inference_port = build_inference_server(
        InferenceSettings(inference_port=0, model_base_path=base_path, inference_poll_seconds=0.5)
    )
    inference.start()
    wait_until(lambda: inference.registry.serving, "inference serves the committed model")
    prefix = f"static-{uuid.uuid4().hex[:8]}"
    loop = LoopThread()
    activations: RunningServer = loop.run(
        build_activation_server(
            ActivationSettings(
                activations_port=0,
                inference_target=f"127.0.0.1:{inference_port}",
                redis_url=redis_process.url,
                cache_prefix=prefix,
                model_base_path=base_path,
                data_dir=real_data_dir,
            )
        )
    )
    target = f"127.0.0.1:{activations.port}"
    nowhere = "http://127.0.0.1:9"  # no study, no studio: the default model alone is visible
    settings = GatewaySettings(
        activations_target=target,
        data_dir=real_data_dir,
        spa_dir=root / "no-spa",
        static_root=static_root,
        evaluation_url=nowhere,
        studio_url=nowhere,
        broker_url=redis_process.url_for(1),
        result_backend=redis_process.url_for(1),
    )
    gateway = GatewayThread(create_app(settings))
    gateway.start()
    http = httpx.Client(base_url=gateway.url, timeout=60)
    # Before the worker renders anything: what the dynamic routes answer.
    fallback_list = http.get("/api/examples").json()
    dynamic_bundles = {
        i: http.get(f"/api/examples/{i}/activations?version=1").content for i in SAMPLED
    }
    labels = {e["label"] for e in fallback_list["examples"] if e["id"] in SAMPLED}
    dynamic_sprites = {
        label: http.get(f"/api/examples/sprites/{label}").content for label in labels
    }
    env = os.environ | {
        "CNN101_BROKER_URL": redis_process.url_for(1),
        "CNN101_RESULT_BACKEND": redis_process.url_for(1),
        "CNN101_REDIS_URL": redis_process.url,
        "CNN101_CACHE_PREFIX": prefix,
        "CNN101_ACTIVATIONS_TARGET": target,
        "CNN101_DATA_DIR": str(real_data_dir),
        "CNN101_STATIC_ROOT": str(static_root),
    }
    worker = subprocess.Popen([*worker_command(sys.executable), "--loglevel", "WARNING"], env=env)
    tasks = TaskSender(redis_process.url_for(1), redis_process.url_for(1))
    try:
        yield Platform(
            static_root,
            gateway,
            settings,
            tasks,
            http,
            dynamic_bundles,
            dynamic_sprites,
            fallback_list,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        tasks.close()
        http.close()
        gateway.stop()
        loop.run(activations.stop(grace=0))
        loop.close()
        inference.stop(grace=0)
        redis_process.stop()


def _files(root: Path) -> dict[Path, tuple[int, int]]:
    """Every file under ``root`` with its inode and modification time."""
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_before_the_render_the_list_points_at_the_dynamic_routes(platform: Platform) -> None:
    listed = platform.fallback_list
    fingerprint = listed["fingerprint"]
    assert len(fingerprint) == 16
    for example in listed["examples"]:
        assert example["bundle_url"] == (
            f"/api/examples/{example['id']}/activations"
            f"?model={MODEL}&version={listed['version']}&fingerprint={fingerprint}"
        )
        assert example["sprite_url"].startswith("/api/examples/sprites/")


def test_the_worker_renders_every_example_once_byte_for_byte(platform: Platform) -> None:
    first = _render(platform)
    assert first["done"] == first["total"] == 250
    folder = Path(first["static_dir"])
    assert folder.parent.parent.parent == platform.static_root
    manifest = Manifest.from_json((folder / MANIFEST).read_bytes())
    assert (manifest.model, manifest.version) == (MODEL, 1)
    assert folder.name == manifest.fingerprint == platform.fallback_list["fingerprint"]
    bundles = sorted((folder / "bundles").iterdir())
    sprites = sorted((folder / "sprites").iterdir())
    assert len(bundles) == 250 and len(sprites) == len(manifest.sprites) == 10
    assert first["files_written"] == len(bundles) + len(sprites) + 1  # and the manifest
    # Each file is named by the SHA-256 of its bytes; no temporary file is left behind.
    for path in bundles + sprites:
        assert path.stem == hashlib.sha256(path.read_bytes()).hexdigest(), path
        assert path.suffix == (".bin" if path.parent.name == "bundles" else ".png")
    assert not [p for p in platform.static_root.rglob("*") if p.name.endswith(".part")]
    # The files hold exactly what the dynamic routes sent.
    digests = {e["id"]: e["digest"] for e in platform.fallback_list["examples"]}
    for example_id, sent in platform.dynamic_bundles.items():
        image_digest, sha = manifest.bundles[example_id]
        assert image_digest == digests[example_id]
        assert (folder / "bundles" / f"{sha}.bin").read_bytes() == sent, example_id
    for label, sent in platform.dynamic_sprites.items():
        assert (folder / "sprites" / f"{manifest.sprites[label]}.png").read_bytes() == sent
    # The featured example (the explorer's first picture) is classified correctly, and no
    # other correctly classified example has a higher probability for its class.
    assert platform.fallback_list["featured"] is None  # not rendered yet: the SPA takes the first
    labels = {e["id"]: e["label"] for e in platform.fallback_list["examples"]}
    confidence = {}
    for example_id, (_, sha) in manifest.bundles.items():
        bundle = activations_pb2.ActivationBundle.FromString(
            (folder / "bundles" / f"{sha}.bin").read_bytes()
        )
        probabilities = list(bundle.probabilities)
        if probabilities.index(max(probabilities)) == labels[example_id]:
            confidence[example_id] = probabilities[labels[example_id]]
    assert manifest.featured is not None and manifest.featured in confidence
    assert confidence[manifest.featured] == max(confidence.values())
    wait_until(
        lambda: platform.http.get("/api/examples").json()["featured"] == manifest.featured,
        "the list names the featured example",
    )
    # A second run writes nothing: same files, same inodes, same times.
    before = _files(platform.static_root)
    second = _render(platform)
    assert second["files_written"] == 0 and second["static_dir"] == first["static_dir"]
    assert _files(platform.static_root) == before


def _raw_status(port: int, target: str) -> int:
    """The status of ``GET target`` sent as written (an HTTP client would tidy the path)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_the_gateway_serves_the_rendered_files_as_immutable(platform: Platform) -> None:
    if not list(platform.static_root.rglob(MANIFEST)):
        _render(platform)  # when this test runs alone
    http = platform.http
    deadline = time.monotonic() + 10  # a missing manifest is looked for again after 2 s
    while time.monotonic() < deadline:
        listed = http.get("/api/examples").json()
        if listed["examples"][0]["bundle_url"].startswith("/static/"):
            break
        time.sleep(0.2)
    folder = f"/static/{MODEL}/1/{listed['fingerprint']}"
    for example in listed["examples"]:
        assert example["bundle_url"].startswith(f"{folder}/bundles/"), example
        assert example["sprite_url"].startswith(f"{folder}/sprites/"), example
    example = next(e for e in listed["examples"] if e["id"] == SAMPLED[0])

    url = example["bundle_url"]
    sha = url.rsplit("/", 1)[1].removesuffix(".bin")
    got = http.get(url)
    assert got.status_code == 200
    assert got.headers["etag"] == f'"{sha}"'
    assert got.headers["cache-control"] == IMMUTABLE
    assert got.headers["content-type"] == BUNDLE_TYPE
    assert got.content == platform.dynamic_bundles[SAMPLED[0]]
    assert hashlib.sha256(got.content).hexdigest() == sha
    again = http.get(url, headers={"If-None-Match": got.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == got.headers["etag"]
    assert again.headers["cache-control"] == IMMUTABLE
    head = http.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(got.content)
    assert http.post(url).status_code == 405

    sprite = http.get(example["sprite_url"])
    assert sprite.status_code == 200 and sprite.headers["content-type"] == "image/png"
    assert sprite.content == platform.dynamic_sprites[example["label"]]
    assert sprite.headers["cache-control"] == IMMUTABLE
    assert sprite.headers["etag"] == f'"{hashlib.sha256(sprite.content).hexdigest()}"'

    # The dynamic route now sends the rendered file: the same bytes, its own headers.
    dynamic = http.get(f"/api/examples/{SAMPLED[0]}/activations?version=1")
    assert dynamic.status_code == 200 and dynamic.content == got.content
    assert dynamic.headers["x-image-digest"] == example["digest"]

    # Only paths of the layout are served: nothing else under the root, nothing outside it.
    port = platform.gateway.port
    outside = [
        f"{folder}/{MANIFEST}",
        f"{folder}/bundles/..%2F{MANIFEST}",
        f"{folder}/bundles/%2e%2e/{MANIFEST}",
        f"/static/{MODEL}/1/{listed['fingerprint']}/bundles/../../../../models/x",
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        f"{folder}/bundles/{'0' * 64}.bin",  # well formed, not rendered
        f"/static/nope/1/{listed['fingerprint']}/bundles/{sha}.bin",  # not a visible model
        f"{url}/../../{MANIFEST}",
    ]
    for target in outside:
        assert _raw_status(port, target) == 404, target
        assert http.get(target).status_code == 404, target


def test_without_memory_the_files_are_sent_from_disk(platform: Platform) -> None:
    """``CNN101_STATIC_MEMORY_BYTES=0``: each answer is a FileResponse, the same bytes."""
    if not list(platform.static_root.rglob(MANIFEST)):
        _render(platform)
    gateway = GatewayThread(
        create_app(platform.settings.model_copy(update={"static_memory_bytes": 0}))
    )
    gateway.start()
    try:
        with httpx.Client(base_url=gateway.url, timeout=60) as http:
            listed = http.get("/api/examples").json()
            example = next(e for e in listed["examples"] if e["id"] == SAMPLED[1])
            got = http.get(example["bundle_url"])
            assert got.status_code == 200 and got.content == platform.dynamic_bundles[SAMPLED[1]]
            assert got.headers["cache-control"] == IMMUTABLE
            assert got.headers["etag"] == f'"{hashlib.sha256(got.content).hexdigest()}"'
            route = http.get(f"/api/examples/{SAMPLED[1]}/activations?version=1")
            assert route.content == got.content
            assert http.get(example["bundle_url"] + "x").status_code == 404
    finally:
        gateway.stop()

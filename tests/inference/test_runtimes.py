"""A version's LiteRT copy answers as its SavedModel does, and runs without TensorFlow.

The copy is what a restarted inference process serves within a second (issue 14: 10-17 s
while TensorFlow imported), so these tests check it from outside: the committed model's
copy against TensorFlow on real validation images, the server process's memory map (no
TensorFlow library in it) and time to SERVING, and the fall-backs (no copy, a copy of other
weights, ``CNN101_INFERENCE_RUNTIME=tensorflow``) served by TensorFlow.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from services.common.model_store import ASSETS_DIR, LITE_MODEL, LITE_RECORD
from services.inference.models import load_servable
from services.inference.server import InferenceServer
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.data import load_validation
from services.pipeline.lite import TOLERANCE, write_lite_copy
from tests.inference.client import (
    SERVING,
    Client,
    connect,
    images,
    listening_port,
    outputs_of,
    predict_request,
    start_server_process,
)
from tests.inference.conftest import Exported

COMMITTED = Path(__file__).resolve().parents[2] / "models" / "tiny_vgg" / "1"
#: Shared objects that only a process running TensorFlow maps.
TENSORFLOW_LIBRARIES = ("libtensorflow_framework", "_pywrap_tensorflow_internal")


def test_each_version_runs_on_the_runtime_its_files_allow(
    served: tuple[InferenceServer, Client],
) -> None:
    registry = served[0].registry
    assert registry.get("tiny_vgg", 1).runtime.name == "litert"
    assert registry.get("tiny_vgg", 2).runtime.name == "litert"
    assert registry.get("wide", 1).runtime.name == "tensorflow"  # its copy was removed


def test_the_committed_models_copy_agrees_with_its_savedmodel_on_real_images(
    real_data_dir: Path,
) -> None:
    """Both runtimes on the 250 validation images: every layer within 1e-5 (relative to the
    layer's largest value), and the same predicted class for every image."""
    assert json.loads((COMMITTED / ASSETS_DIR / LITE_RECORD).read_text())["tolerance"] <= 1e-5
    pixels = load_validation(real_data_dir, CNN101_CLASSES).pixels.astype(np.float32) / 255
    lite = load_servable("tiny_vgg", 1, COMMITTED)
    tensorflow = load_servable("tiny_vgg", 1, COMMITTED, runtime="tensorflow")
    assert (lite.runtime.name, tensorflow.runtime.name) == ("litert", "tensorflow")
    ours = lite.run("activations", {"input": pixels}, chunk_images=16)
    reference = tensorflow.run("activations", {"input": pixels}, chunk_images=16)
    for layer, value in reference.items():
        scale = max(1.0, float(np.abs(value).max()))
        assert np.abs(ours[layer] - value).max() / scale <= TOLERANCE, layer
    assert (ours["softmax"].argmax(1) == reference["softmax"].argmax(1)).all()


def test_a_copy_of_other_weights_is_not_run(exported: Exported, tmp_path: Path) -> None:
    """A record naming another SavedModel (weights replaced after the export) means
    TensorFlow, and the answers are the new weights'."""
    version = tmp_path / "tiny_vgg" / "1"
    shutil.copytree(exported.base_path / "tiny_vgg" / "1", version)
    for name in ("saved_model.pb", "variables"):
        target = version / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
        source = exported.base_path / "tiny_vgg" / "2" / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    servable = load_servable("tiny_vgg", 1, version)
    assert servable.runtime.name == "tensorflow"
    inputs = images(2, seed=3)
    expected = exported.bundles[("tiny_vgg", 2)].probabilities(inputs)
    got = servable.run("serving_default", {"input": inputs})["probabilities"]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_the_export_refuses_a_copy_that_does_not_convert(tmp_path: Path) -> None:
    """No SavedModel: no copy and no record, and the export itself would go on (None)."""
    (tmp_path / ASSETS_DIR).mkdir()
    (tmp_path / "saved_model.pb").write_bytes(b"not a graph")
    assert write_lite_copy(tmp_path) is None
    assert not (tmp_path / ASSETS_DIR / LITE_MODEL).exists()


def _maps(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match
    return int(match.group(1)) / 1024


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """``python -m services.inference`` over a copy of the committed model (as ``cnn101 run``
    starts it), stopped at the end."""
    shutil.copytree(COMMITTED, tmp_path / "tiny_vgg" / "1")
    process = start_server_process(tmp_path, CNN101_INFERENCE_POLL_SECONDS="0.2")
    try:
        yield process, tmp_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _wait_serving(client: Client, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while client.health_status() != SERVING:
        assert time.monotonic() < deadline, "not SERVING in time"
        time.sleep(0.05)


def test_the_server_serves_the_committed_model_without_tensorflow(
    server_process: tuple[subprocess.Popen[str], Path], exported: Exported
) -> None:
    """SERVING with no TensorFlow library mapped and little memory; a version without a
    copy published afterwards loads TensorFlow then and is served too."""
    process, base_path = server_process
    client = connect(listening_port(process))
    _wait_serving(client)
    maps = _maps(process.pid)
    assert not [lib for lib in TENSORFLOW_LIBRARIES if lib in maps]
    assert _rss_mb(process.pid) < 300, f"{_rss_mb(process.pid):.0f} MB"
    response = client.predict.Predict(
        predict_request("tiny_vgg", images(3), signature="activations"), timeout=30
    )
    assert outputs_of(response)["conv_1_1"].shape == (3, 62, 62, 10)

    # A version without a LiteRT copy (as an older export would be): TensorFlow serves it.
    plain = base_path / "wide" / "1"
    shutil.copytree(exported.base_path / "wide" / "1", plain)
    deadline = time.monotonic() + 120
    while not client.available_versions("wide"):
        assert time.monotonic() < deadline, "the version without a copy was not served"
        time.sleep(0.2)
    inputs = images(2, size=48, seed=5)
    got = outputs_of(client.predict.Predict(predict_request("wide", inputs), timeout=30))
    expected = exported.bundles[("wide", 1)].probabilities(inputs)
    np.testing.assert_allclose(got["probabilities"], expected, rtol=0, atol=1e-6)
    assert any(lib in _maps(process.pid) for lib in TENSORFLOW_LIBRARIES)
    client.channel.close()

"""The default model in models/tiny_vgg: exact activations, and the accuracy its card claims."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from services.pipeline.bundle import ModelBundle, resolve_version_dir
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.data import load_validation
from services.pipeline.preprocess import scale_to_unit
from tests.numpy_cnn import forward


@pytest.fixture(scope="module")
def committed(project_root: Path) -> ModelBundle:
    return ModelBundle.open(resolve_version_dir(project_root / "models" / "tiny_vgg"))


def test_it_is_the_design_s_tiny_vgg(committed: ModelBundle) -> None:
    assert committed.name == "tiny_vgg"
    assert [c.name for c in committed.classes] == [c.name for c in CNN101_CLASSES]
    assert [layer["name"] for layer in committed.description["layers"]] == [
        "input",
        "conv_1_1",
        "relu_1_1",
        "conv_1_2",
        "relu_1_2",
        "max_pool_1",
        "conv_2_1",
        "relu_2_1",
        "conv_2_2",
        "relu_2_2",
        "max_pool_2",
        "flatten",
        "output",
        "softmax",
    ]


def test_activations_equal_an_independent_numpy_forward_pass(
    committed: ModelBundle, real_data_dir: Path
) -> None:
    images = scale_to_unit(load_validation(real_data_dir, CNN101_CLASSES).pixels[::25])
    noise = np.random.default_rng(7).uniform(0, 1, (2, 64, 64, 3)).astype(np.float32)
    inputs = np.concatenate([images, noise])
    reference = forward(committed.description["layers"], committed.weights(), inputs)
    served = committed.activations(inputs)
    assert set(served) == set(reference)
    for name, value in reference.items():
        assert served[name].dtype == np.float32
        assert np.abs(served[name] - value).max() <= 1e-5, name


def test_evaluate_reports_the_accuracy_the_card_claims(
    committed: ModelBundle, project_root: Path, real_data_dir: Path
) -> None:
    card = (project_root / "models" / "tiny_vgg" / "README.md").read_text()
    claimed = re.search(r"top-1 accuracy: ([\d.]+)%", card)
    assert claimed, "the model card states no top-1 accuracy"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "evaluate",
            "--split",
            str(real_data_dir / "val"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    measured = re.search(r"top-1 accuracy: ([\d.]+)%", result.stdout)
    assert measured and measured.group(1) == claimed.group(1)
    # Above the paper's model (70.8 %), and a floor against regressions: the committed
    # model (the final fit on all 5,000 training images) scores 80.4 % on these images,
    # scored once (issue 16's protocol; a model claimed 80.8 % on images that had also
    # chosen its epoch, and the same recipe on 4,500 images scored 77.2 %).
    assert float(measured.group(1)) >= 78.0
    assert "## Which images chose what" in card and "scored **once**" in card
    # The figure the explorer and `cnn101 run` show is the same validation score.
    accuracy = committed.description["training"]["accuracy"]
    assert f"{accuracy * 100:.2f}" == measured.group(1)
    assert "confusion matrix" in result.stdout and "red panda" in result.stdout

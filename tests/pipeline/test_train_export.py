"""Train for one epoch on a few images, export in TF Serving's layout, load it back."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from services.pipeline.bundle import ModelBundle, resolve_version_dir
from tests.numpy_cnn import forward

pytestmark = pytest.mark.slow


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One short training run through the real command, shared by the tests below."""
    from services.pipeline.classes import CNN101_CLASSES
    from tests.synthetic import write_tiny_imagenet

    root = tmp_path_factory.mktemp("train")
    data_dir = write_tiny_imagenet(root / "data", CNN101_CLASSES, per_class=6, val_per_class=2)
    result = _cli(
        "train",
        "--data-dir",
        str(data_dir),
        "--base-path",
        str(root / "models"),
        "--epochs",
        "1",
        "--limit-per-class",
        "4",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Exported" in result.stdout and "top-1 accuracy" in result.stdout
    # The honest protocol: a selection split carved from the training images watches the
    # run (one progress line per epoch in a log), the validation split is scored once.
    assert "Training on 30 images; 10 other training images watch the run" in result.stdout
    assert "epoch 1/1 · " in result.stdout and "ETA 0:00 · selection accuracy" in result.stdout
    assert "On the validation images, scored once:" in result.stdout
    assert "95 % Wilson interval" in result.stdout
    return root / "models" / "tiny_vgg", data_dir


def test_both_signatures_answer_with_the_right_shapes(exported: tuple[Path, Path]) -> None:
    bundle = ModelBundle.open(resolve_version_dir(exported[0]))
    assert bundle.version == 1
    inputs = np.random.default_rng(0).uniform(0, 1, (3, 64, 64, 3)).astype(np.float32)
    probabilities = bundle.probabilities(inputs)
    assert probabilities.shape == (3, 10)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    activations = bundle.activations(inputs)
    shapes = {name: list(value.shape[1:]) for name, value in activations.items()}
    expected = {layer["name"]: layer["output_shape"] for layer in bundle.description["layers"][1:]}
    assert shapes == expected
    assert np.allclose(activations["softmax"], probabilities, atol=1e-6)


def test_assets_describe_and_carry_the_weights(exported: tuple[Path, Path]) -> None:
    version_dir = resolve_version_dir(exported[0])
    bundle = ModelBundle.open(version_dir)
    description = json.loads((version_dir / "assets.extra" / "model.json").read_text())
    assert [c["name"] for c in description["classes"]][:3] == ["lifeboat", "ladybug", "pizza"]
    assert (version_dir / "assets.extra" / "labels.txt").read_text().splitlines()[9] == "sport car"
    weights = bundle.weights()
    assert weights["conv_1_1", "kernel"].shape == (3, 3, 3, 10)
    assert weights["output", "kernel"].shape == (1690, 10)
    inputs = np.random.default_rng(1).uniform(0, 1, (2, 64, 64, 3)).astype(np.float32)
    reference = forward(description["layers"], weights, inputs)
    served = bundle.activations(inputs)
    for name, value in reference.items():
        # float32 summation order differs from NumPy's float64: allow 1e-5 plus one part
        # in a million of the value (freshly folded BN can make activations large).
        assert np.allclose(served[name], value, rtol=1e-6, atol=1e-5), name


def test_saved_model_cli_lists_both_signatures(exported: tuple[Path, Path]) -> None:
    version_dir = resolve_version_dir(exported[0])
    cli = Path(sys.executable).with_name("saved_model_cli")
    shown = subprocess.run(
        [str(cli), "show", "--dir", str(version_dir), "--all"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert "signature_def['serving_default']" in shown
    assert "signature_def['activations']" in shown
    assert "shape: (-1, 64, 64, 3)" in shown
    assert "outputs['probabilities'] tensor_info:" in shown
    assert "outputs['conv_1_1'] tensor_info:" in shown
    assert "shape: (-1, 62, 62, 10)" in shown
    assert "shape: (-1, 1690)" in shown


def test_a_second_export_becomes_version_2_and_evaluate_reads_the_newest(
    exported: tuple[Path, Path],
) -> None:
    model_dir, data_dir = exported
    result = _cli(
        "train",
        "--data-dir",
        str(data_dir),
        "--base-path",
        str(model_dir.parent),
        "--epochs",
        "1",
        "--limit-per-class",
        "2",
        "--input-size",
        "48",
        "--blocks",
        "3",
        "--convs-per-block",
        "1",
        "--filters",
        "8",
        "--kernel-size",
        "5",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    bundle = ModelBundle.open(resolve_version_dir(model_dir))
    assert bundle.version == 2 and bundle.input_size == 48
    assert (model_dir / "README.md").read_text().startswith("# Model card: `tiny_vgg` version 2")
    evaluated = _cli("evaluate", "--model-dir", str(model_dir), "--split", str(data_dir / "val"))
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert "tiny_vgg version 2" in evaluated.stdout
    assert "images: 20" in evaluated.stdout


def test_the_card_says_which_images_chose_what(exported: tuple[Path, Path]) -> None:
    card = (exported[0] / "README.md").read_text()
    assert "## Which images chose what" in card
    # (The folder's card is its newest version's: either of this module's two exports.)
    assert re.search(r"- \*\*Training\*\*: (\d+) of the \d+ training images\.", card)
    assert re.search(r"the other 10 training images", card)
    assert "the last epoch is kept whatever they say" in card
    assert "scored **once**" in card and "They chose nothing" in card
    assert "95 % Wilson interval" in card
    assert "horizontal flips, shifts of up to 4 pixels with reflect padding" in card
    assert "brightness ±10% jitter. AdamW, peak learning rate 0.003" in card
    assert "one-cycle schedule" in card


def test_the_final_fit_trains_on_every_training_image_and_says_so(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    _, data_dir = exported
    models = tmp_path / "models"
    result = _cli(
        "train",
        "--data-dir",
        str(data_dir),
        "--base-path",
        str(models),
        "--epochs",
        "1",
        "--limit-per-class",
        "4",
        "--fit-all",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Training on all 40 training images" in result.stdout
    assert "selection accuracy" not in result.stdout  # nothing watched the run
    assert "kept the last epoch (1)." in result.stdout
    version_dir = resolve_version_dir(models / "tiny_vgg")
    training = json.loads((version_dir / "assets.extra" / "model.json").read_text())["training"]
    assert training["train_images"] == 40 and training["val_images"] == 0
    assert training["best_val_accuracy"] is None
    # The validation split, scored once, is the figure the description carries.
    scored = re.search(r"top-1 accuracy: ([\d.]+)%", result.stdout)
    assert scored and round(training["accuracy"] * 100, 2) == float(scored.group(1))
    card = (models / "tiny_vgg" / "README.md").read_text()
    assert "- **Training**: all 40 training images, the selection split included." in card
    assert "this final fit trained on them too (`--fit-all`)" in card

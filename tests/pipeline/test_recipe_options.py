"""The plain recipe's options: no batch norm, the one-cycle schedule, mixup, cutout, the last
epoch, the consistent teacher."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from services.pipeline import training
from services.pipeline.architecture import Architecture, build_model
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.data import (
    LabelledImages,
    load_train,
    load_validation,
    selection_per_class,
)
from services.pipeline.training import (
    Recipe,
    TrainingResult,
    _batches,
    _schedule,
    cut_out,
    mix_batch,
    train,
)
from tests.synthetic import write_tiny_imagenet


def test_one_cycle_rises_from_a_25th_to_the_peak_at_30_percent_then_falls_to_near_zero() -> None:
    recipe = Recipe(schedule="one_cycle", learning_rate=3e-3, batch_size=10)
    schedule = _schedule(recipe, epochs=10, images=100)  # 100 steps
    rates = np.array([float(schedule(step)) for step in range(101)])
    assert rates[0] == pytest.approx(3e-3 / 25)
    assert int(np.argmax(rates)) == 30 and rates[30] == pytest.approx(3e-3)
    assert np.all(np.diff(rates[:31]) > 0) and np.all(np.diff(rates[30:]) <= 0)
    assert rates[100] == pytest.approx(3e-3 * 1e-4, rel=1e-3)


def test_an_unknown_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="one_cycle"):
        _schedule(Recipe(schedule="steps"), epochs=1, images=10)


def test_mixup_blends_images_and_targets_by_the_same_weight() -> None:
    keras.utils.set_random_seed(3)
    x = np.stack([np.full((4, 4, 3), value, np.float32) for value in (0.0, 1.0)] * 8)
    y = np.eye(2, dtype=np.float32)[[0, 1] * 8]
    mixed_x, mixed_y = (np.asarray(t) for t in mix_batch(x, y, alpha=0.4))
    assert np.allclose(mixed_y.sum(axis=1), 1.0)
    # Image k is w * x_k + (1 - w) * x_partner: with images 0 and 1 its value is the
    # weight of class 1 in its target.
    assert np.allclose(mixed_x[:, 0, 0, 0], mixed_y[:, 1], atol=1e-6)
    assert not np.allclose(mixed_y, y)  # something was mixed


def _tiny_run(tmp_path: Path, recipe: Recipe) -> tuple[Architecture, TrainingResult]:
    arch = Architecture(input_size=16, blocks=1, convs_per_block=2, filters=3, num_classes=3)
    classes = CNN101_CLASSES[:3]
    data_dir = write_tiny_imagenet(tmp_path, classes, per_class=6, val_per_class=2, size=16)
    result = train(
        load_train(data_dir, classes, 16),
        load_validation(data_dir, classes, 16),
        arch,
        classes,
        recipe,
        verbose=0,
    )
    return arch, result


def test_cutout_greys_one_square_of_its_side_per_image_and_leaves_the_rest() -> None:
    images = np.random.default_rng(0).uniform(0.6, 1.0, (200, 32, 32, 3)).astype("float32")
    cut = np.asarray(cut_out(images, 8))
    grey = np.all(cut == 0.5, axis=3)
    assert np.array_equal(cut[~grey], images[~grey])  # untouched outside the square
    areas = grey.sum(axis=(1, 2))
    assert areas.max() == 64 and areas.min() >= 16  # a full square, or one over an edge
    for mask in grey[:20]:
        rows, cols = np.nonzero(mask)
        side_rows, side_cols = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert side_rows * side_cols == mask.sum()  # one rectangle, no scattered pixels


def test_the_plain_recipe_keeps_the_last_epoch_without_batch_norm(tmp_path: Path) -> None:
    recipe = Recipe(
        epochs=3, batch_size=6, batch_norm=False, keep="last", schedule="one_cycle", mixup=0.2
    )
    arch, result = _tiny_run(tmp_path, recipe)
    assert result.selected == "last epoch (3)"
    assert result.best_val_accuracy == result.history["val_accuracy"][-1]
    exported = [layer.name for layer in result.model.layers]
    assert exported == [layer.name for layer in build_model(arch).layers]


def test_an_unknown_keep_rule_is_refused_before_training(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="best_or_average or last"):
        _tiny_run(tmp_path, Recipe(epochs=1, keep="median"))


def test_a_consistent_teacher_scores_the_very_view_the_student_sees() -> None:
    """The targets' teacher columns are the teacher's logits of the augmented batch itself
    (shifted, flipped, brightened), not of the stored image."""
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, size=(12, 8, 8, 3), dtype=np.uint8)
    images = LabelledImages(pixels, np.arange(12) % 3, tuple(Path(f"{k}.png") for k in range(12)))
    inputs = keras.Input(shape=(8, 8, 3))
    teacher = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))
    recipe = Recipe(batch_size=4, shift_pixels=2, brightness=0.3)
    stored = {image.tobytes() for image in (pixels.astype(np.float32) / 255)}
    for x, y in _batches(images, 3, None, teacher)(recipe):
        assert y.shape == (4, 6)
        assert np.allclose(y[:, 3:], teacher(x), atol=1e-5)
        assert np.allclose(np.asarray(y[:, :3]).sum(axis=1), 1.0)
    assert not {image.tobytes() for image in np.asarray(x)} <= stored  # the views differ


def test_an_unknown_source_of_teacher_targets_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="distill_targets"):
        _tiny_run(tmp_path, Recipe(epochs=1, teacher_width=4, distill_targets="random"))


def test_mixup_with_a_teacher_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Mixup and distillation"):
        _tiny_run(tmp_path, Recipe(epochs=1, mixup=0.2, teacher_width=4))


def test_the_selection_split_is_50_per_class_or_a_tenth_of_a_small_class() -> None:
    def images(per_class: int) -> LabelledImages:
        labels = np.repeat(np.arange(3), per_class)
        paths = tuple(Path(f"{i}.JPEG") for i in range(len(labels)))
        return LabelledImages(np.zeros((len(labels), 1, 1, 3), np.uint8), labels, paths)

    assert selection_per_class(images(500)) == 50
    assert selection_per_class(images(120)) == 12
    assert selection_per_class(images(4)) == 1


@pytest.mark.parametrize("recipe", [Recipe(keep="best_or_average"), Recipe(teacher_width=4)])
def test_without_selection_images_only_the_last_epoch_and_no_teacher(recipe: Recipe) -> None:
    arch = Architecture(input_size=16, blocks=1, convs_per_block=2, filters=3, num_classes=3)
    nothing = LabelledImages(np.zeros((0, 16, 16, 3), np.uint8), np.zeros(0, np.int64), ())
    with pytest.raises(ValueError, match="keeps the last epoch, no teacher"):
        train(nothing, None, arch, CNN101_CLASSES[:3], recipe, verbose=0)


def test_clean_batch_norm_sets_the_statistics_of_the_unaugmented_training_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``clean_batch_norm`` recomputes every BN layer's statistics on the training pixels
    before folding, and the accuracy the run reports is the recomputed model's."""
    recomputed: list[np.ndarray] = []
    original = training.recompute_batch_norm

    def spy(model: keras.Model, pixels: np.ndarray, batch_size: int = 250) -> None:
        recomputed.append(pixels)
        original(model, pixels, batch_size)

    monkeypatch.setattr(training, "recompute_batch_norm", spy)
    _tiny_run(tmp_path / "plain", Recipe(epochs=2, batch_size=6))
    assert recomputed == []
    _, result = _tiny_run(tmp_path / "clean", Recipe(epochs=2, batch_size=6, clean_batch_norm=True))
    assert len(recomputed) == 1 and recomputed[0].shape == (18, 16, 16, 3)
    val = load_validation(tmp_path / "clean", CNN101_CLASSES[:3], 16)
    scores = result.model.predict(val.pixels.astype(np.float32) / 255, verbose=0)
    assert result.best_val_accuracy == float(np.mean(np.argmax(scores, axis=1) == val.labels))


def test_the_model_card_names_zoom_and_rotation_only_when_the_recipe_used_them() -> None:
    from services.pipeline.model_card import _recipe_text

    moved = _recipe_text(Recipe(zoom=0.15, rotation=10.0).to_json())
    assert "random zoom ±15%" in moved and "rotation of up to 10.0 degrees" in moved
    plain = _recipe_text(Recipe().to_json())
    assert "zoom" not in plain and "rotation" not in plain


def test_the_model_card_names_a_born_again_teacher() -> None:
    from services.pipeline.model_card import _recipe_text

    text = _recipe_text(Recipe(teacher_kind="tiny_vgg").to_json())
    assert "Tiny VGG teacher trained first (born-again)" in text
    assert "residual teacher" not in text

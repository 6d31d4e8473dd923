"""Pieces of the training recipe that are checked on their own."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from services.pipeline.architecture import Architecture, build_model
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.data import LabelledImages, load_train, load_validation, split_selection
from services.pipeline.distill import distillation_loss
from services.pipeline.training import (
    Recipe,
    _random_transforms,
    augment_batch,
    recompute_batch_norm,
    train,
)
from tests.synthetic import write_tiny_imagenet


def test_recomputed_batch_norm_statistics_are_exact() -> None:
    arch = Architecture(input_size=16, blocks=1, convs_per_block=2, filters=3, kernel_size=3)
    model = build_model(arch, batch_norm=True, seed=4)
    pixels = np.random.default_rng(0).integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)
    recompute_batch_norm(model, pixels, batch_size=7)
    scaled = pixels.astype(np.float32) / np.float32(255)
    for name in ("bn_1_1", "bn_1_2"):
        layer = model.get_layer(name)
        inputs = np.asarray(keras.Model(model.inputs, layer.input)(scaled, training=False))
        flat = inputs.reshape(-1, inputs.shape[-1]).astype(np.float64)
        _, _, mean, variance = layer.get_weights()
        assert np.allclose(mean, flat.mean(axis=0), atol=1e-5)
        assert np.allclose(variance, flat.var(axis=0), rtol=1e-4, atol=1e-6)


def test_augmentation_keeps_shape_range_and_labels() -> None:
    images = np.random.default_rng(1).integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    labels = np.arange(8) % 10
    x, y = augment_batch(images, Recipe(), 10, labels)
    x = np.asarray(x)
    assert x.shape == (8, 64, 64, 3)
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert np.array_equal(np.argmax(np.asarray(y), axis=1), labels)
    assert not np.allclose(x, images / 255.0)  # something was changed


def test_each_image_of_a_batch_gets_its_own_shift() -> None:
    """The shift is per image (a per-batch offset gives every image of a step the same one)."""
    image = np.random.default_rng(2).integers(0, 256, (1, 64, 64, 3), dtype=np.uint8)
    still = Recipe(shift_pixels=6, brightness=0.0, contrast=0.0, saturation=0.0)
    x, _ = augment_batch(np.repeat(image, 32, axis=0), still, 10, np.zeros(32, dtype=np.int64))
    x = np.asarray(x)
    # Each output is the image (or its mirror) moved by whole pixels: its pixels are the
    # source's, and at most 2 x 13 x 13 distinct outputs exist; 32 draws give many of them.
    assert np.allclose(x * 255, np.round(x * 255), atol=1e-3)
    assert len({out.tobytes() for out in x}) >= 16


def test_zoom_and_rotation_turn_and_scale_each_image_about_its_centre() -> None:
    """Each row maps output pixels to source pixels: the centre stays put (no shift), and a
    pixel at distance r lands at r / scale, turned by at most ``rotation`` degrees."""
    recipe = Recipe(shift_pixels=0, zoom=0.2, rotation=15.0)
    rows = np.asarray(_random_transforms(512, 64, recipe))
    centre = 31.5
    matrices = rows[:, [0, 1, 3, 4]].reshape(-1, 2, 2)
    offsets = rows[:, [2, 5]]
    assert np.allclose(np.einsum("bij,j->bi", matrices, [centre, centre]) + offsets, centre)
    scales = 1 / np.sqrt(np.abs(np.linalg.det(matrices)))
    angles = np.degrees(np.arctan2(matrices[:, 1, 0], matrices[:, 0, 0]))
    assert scales.min() >= 0.8 - 1e-5 and scales.max() <= 1.2 + 1e-5
    assert np.abs(angles).max() <= 15.0 + 1e-4
    assert scales.max() - scales.min() > 0.3 and np.abs(angles).max() > 10  # it varies
    assert np.allclose(rows[:, 6:], 0.0)  # affine, not projective


def test_without_zoom_or_rotation_the_transform_is_a_whole_pixel_shift() -> None:
    rows = np.asarray(_random_transforms(256, 64, Recipe(shift_pixels=3)))
    assert np.allclose(rows[:, [0, 4]], 1.0) and np.allclose(rows[:, [1, 3, 6, 7]], 0.0)
    shifts = rows[:, [2, 5]]
    assert np.allclose(shifts, np.round(shifts), atol=1e-5) and np.abs(shifts).max() == 3


def test_a_zoomed_image_is_sampled_smoothly_and_stays_in_range() -> None:
    image = np.random.default_rng(5).integers(0, 256, (1, 64, 64, 3), dtype=np.uint8)
    moving = Recipe(zoom=0.2, rotation=10.0, brightness=0.0)
    x, _ = augment_batch(np.repeat(image, 8, axis=0), moving, 10, np.zeros(8, dtype=np.int64))
    x = np.asarray(x)
    assert x.shape == (8, 64, 64, 3) and x.min() >= 0.0 and x.max() <= 1.0
    # Bilinear sampling between pixels makes values that no source pixel has.
    assert not np.allclose(x * 255, np.round(x * 255), atol=1e-3)


def test_distillation_loss_mixes_labels_and_teacher() -> None:
    labels = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    teacher = np.array(
        [[2.0, 0.5, -1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 3.0], [0.1, 0.2, 0.3]], np.float32
    )
    agreeing = np.asarray(keras.ops.softmax(teacher))
    targets = np.concatenate([labels, teacher], axis=1)
    hard = keras.losses.CategoricalCrossentropy(label_smoothing=0.1, reduction=None)
    only_labels = distillation_loss(3, 0.1, weight=0.0, temperature=4.0)
    assert np.allclose(only_labels(targets, agreeing), hard(labels, agreeing), atol=1e-6)
    only_teacher = distillation_loss(3, 0.1, weight=1.0, temperature=4.0)
    assert np.allclose(only_teacher(targets, agreeing), 0.0, atol=1e-5)  # KL of equals
    uniform = np.full_like(agreeing, 1 / 3)
    assert np.all(np.asarray(only_teacher(targets, uniform))[:3] > 1e-3)


@pytest.mark.parametrize(
    ("targets", "teacher_kind"),
    [("fixed", "residual"), ("consistent", "residual"), ("fixed", "tiny_vgg")],
)
def test_training_with_a_teacher_exports_only_the_design_s_layers(
    tmp_path: Path, targets: str, teacher_kind: str
) -> None:
    """A (very short) distilled run: the teacher trains, the student is folded and plain;
    the born-again teacher ("tiny_vgg") needs no width."""
    arch = Architecture(input_size=16, blocks=1, convs_per_block=2, filters=3, num_classes=3)
    classes = CNN101_CLASSES[:3]
    data_dir = write_tiny_imagenet(tmp_path, classes, per_class=6, val_per_class=2, size=16)
    recipe = Recipe(
        epochs=2,
        batch_size=6,
        teacher_width=0 if teacher_kind == "tiny_vgg" else 4,
        teacher_kind=teacher_kind,
        teacher_fraction=0.5,
        distill_targets=targets,
    )
    result = train(
        load_train(data_dir, classes, 16),
        load_validation(data_dir, classes, 16),
        arch,
        classes,
        recipe,
        verbose=0,
    )
    assert result.teacher_val_accuracy is not None
    assert 0.0 <= result.teacher_val_accuracy <= 1.0
    assert len(result.history["accuracy"]) == 2  # the student's epochs only
    assert [layer.name for layer in result.model.layers] == [
        layer.name for layer in build_model(arch).layers
    ]
    assert result.best_val_accuracy is not None and 0.0 <= result.best_val_accuracy <= 1.0


def test_selection_split_is_carved_from_training_images_deterministically() -> None:
    paths = tuple(Path(f"c{label}_{k}.JPEG") for label in range(2) for k in range(10))
    labels = np.repeat(np.arange(2), 10)
    pixels = np.arange(20, dtype=np.uint8).reshape(20, 1, 1, 1) * np.ones((1, 2, 2, 3), np.uint8)
    images = LabelledImages(pixels, labels, paths)
    fit, selection = split_selection(images, per_class=3, seed=0)
    assert len(fit) == 14 and len(selection) == 6
    assert sorted(np.bincount(selection.labels).tolist()) == [3, 3]
    assert not set(fit.paths) & set(selection.paths)
    assert set(fit.paths) | set(selection.paths) == set(paths)
    # Independent of load order: the same files are chosen from a reversed copy.
    reversed_images = LabelledImages(pixels[::-1], labels[::-1], paths[::-1])
    assert set(split_selection(reversed_images, per_class=3)[1].paths) == set(selection.paths)
    # The pixels travel with their files.
    for path, pixel in zip(selection.paths, selection.pixels, strict=True):
        assert pixel[0, 0, 0] == paths.index(path)


def test_an_unknown_teacher_kind_is_refused(tmp_path: Path) -> None:
    arch = Architecture(input_size=16, blocks=1, convs_per_block=2, filters=3, num_classes=3)
    classes = CNN101_CLASSES[:3]
    data_dir = write_tiny_imagenet(tmp_path, classes, per_class=2, val_per_class=1, size=16)
    with pytest.raises(ValueError, match="tiny_vgg"):
        train(
            load_train(data_dir, classes, 16),
            load_validation(data_dir, classes, 16),
            arch,
            classes,
            Recipe(epochs=1, teacher_kind="resnet50"),
            verbose=0,
        )

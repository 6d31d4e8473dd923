"""Train a Tiny VGG-family network: fixed seed, augmentation, model selection on validation.

The recipe is what gets the unchanged 10-filter Tiny VGG from the paper's ~71 % to over
80 %: batch normalisation during training only (folded away before export, see
:mod:`services.pipeline.folding`), flips, per-image shifts and colour jitter, AdamW with a
cosine schedule and label smoothing, optionally a teacher network whose soft targets the
student learns from (:mod:`services.pipeline.distill`), and keeping the epoch that scores
best on the validation split.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from services.pipeline.architecture import Architecture, build_model
from services.pipeline.classes import ImageClass
from services.pipeline.data import LabelledImages
from services.pipeline.distill import (
    build_teacher,
    distillation_loss,
    label_accuracy,
    teacher_logits,
)
from services.pipeline.evaluation import report_for
from services.pipeline.folding import fold_batch_norm
from services.pipeline.preprocess import scale_to_unit


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the trained weights, recorded in the model card."""

    epochs: int = 60
    batch_size: int = 64
    optimizer: str = "adamw"  # or "sgd" (Nesterov momentum 0.9)
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.0
    warmup_fraction: float = 0.05  # of the "cosine" schedule only
    shift_pixels: int = 4
    # Scale and rotation jitter in the same transform as the shift: each image magnified by
    # a factor drawn from [1 - zoom, 1 + zoom] and turned by up to ``rotation`` degrees about
    # its centre, sampled bilinearly (0 and 0: whole-pixel shifts only, as before).
    zoom: float = 0.0
    rotation: float = 0.0
    brightness: float = 0.1
    contrast: float = 0.0
    saturation: float = 0.0
    # The last epochs with flips only, so the network ends on images like the ones it sees.
    light_final_fraction: float = 0.0
    # Train each conv as conv + 1x1 + identity branches (RepVGG), merged at export.
    reparam: bool = False
    # Weight averaging over the last epochs (SWA), a candidate beside the best epoch.
    average_last_fraction: float = 0.25
    # Knowledge distillation: a ResNet-style teacher of this width (0: none) is trained
    # first for ``teacher_fraction`` x ``epochs`` epochs; the student then learns from
    # (1 - distill_weight) x labels + distill_weight x its softened outputs.
    teacher_width: int = 0
    teacher_fraction: float = 0.5
    teacher_weight_decay: float = 0.05
    distill_weight: float = 0.7
    distill_temperature: float = 4.0
    # Where the teacher's targets come from: "fixed", its logits on the un-augmented images
    # (and their mirrors), computed once; "consistent", its logits on the very view the
    # student sees, at every step (Beyer et al., 2022), at a teacher forward pass a batch.
    distill_targets: str = "fixed"
    # Which network teaches: "residual", the ResNet-style teacher of ``teacher_width``;
    # "tiny_vgg", the student's own architecture trained first with the student's recipe
    # ("born-again" distillation, Furlanello et al., 2018; ``teacher_width`` is then unused).
    teacher_kind: str = "residual"
    # Batch normalisation after each conv during training (folded away before export).
    batch_norm: bool = True
    # One more between the flatten and the dense layer (folded into the dense layer).
    dense_batch_norm: bool = False
    # "cosine": linear warm-up over ``warmup_fraction``, cosine to zero. "one_cycle": from
    # learning_rate / 25 up over the first 30 % of steps, then cosine down to ~0 (Smith 2018).
    schedule: str = "one_cycle"
    # Which weights are exported: "best_or_average" compares the best epoch with the weight
    # average on the selection images; "last" keeps the last epoch, so the selection images
    # only watch the run and choose nothing.
    keep: str = "last"
    # Cutout (DeVries & Taylor, 2017): a square of this side, at a random place in each
    # image (it may hang over the edge), set to mid-grey (0: off).
    cutout: int = 0
    # Mixup (Zhang et al., 2018): each image blended with another of its batch by a weight
    # drawn from Beta(mixup, mixup), the targets by the same weight (0: off).
    mixup: float = 0.0
    # After training, set the batch-norm statistics to those of the training images without
    # augmentation ("precise BN") before folding; the moving averages saw augmented images.
    clean_batch_norm: bool = False
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def has_teacher(self) -> bool:
        """Whether a teacher is trained first and distilled into the student."""
        return self.teacher_kind == "tiny_vgg" or self.teacher_width > 0


@dataclass
class TrainingResult:
    """The selected model (BN folded) and how it got there."""

    model: keras.Model
    best_epoch: int
    # On the selection images; None when nothing watched the run (``train(..., None)``).
    best_val_accuracy: float | None
    seconds: float
    history: dict[str, list[float]] = field(default_factory=dict)
    selected: str = ""
    best_epoch_accuracy: float = 0.0
    averaged_accuracy: float = 0.0
    teacher_val_accuracy: float | None = None
    teacher_seconds: float = 0.0


def training_summary(
    result: TrainingResult, recipe: Recipe, train_images: int, val_images: int
) -> dict[str, Any]:
    """What an export's ``training`` summary records of any run (the CLI's, the studio's)."""
    return {
        "recipe": recipe.to_json(),
        "selected": result.selected,
        "best_epoch": result.best_epoch,
        "best_epoch_val_accuracy": result.best_epoch_accuracy,
        "averaged_val_accuracy": result.averaged_accuracy,
        "best_val_accuracy": result.best_val_accuracy,
        "seconds": round(result.seconds, 1),
        "train_images": train_images,
        "val_images": val_images,
        "machine": f"{os.cpu_count()} CPU cores ({platform.machine()})",
    }


def augment_batch(
    images: tf.Tensor, recipe: Recipe, num_classes: int, labels: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """Random flip, shift (each image its own, reflect fill), colour jitter, and cutout and
    mixup when the recipe asks for them."""
    x = tf.cast(images, tf.float32) / 255.0
    x = tf.image.random_flip_left_right(x)
    batch = tf.shape(x)[0]
    size = tf.shape(x)[1]
    smooth = recipe.zoom > 0 or recipe.rotation > 0
    if recipe.shift_pixels > 0 or smooth:
        x = tf.raw_ops.ImageProjectiveTransformV3(
            images=x,
            transforms=_random_transforms(batch, size, recipe),
            output_shape=tf.stack([size, size]),
            fill_value=0.0,
            interpolation="BILINEAR" if smooth else "NEAREST",
            fill_mode="REFLECT",
        )
    x = x + tf.random.uniform([batch, 1, 1, 1], -recipe.brightness, recipe.brightness)
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    x = (x - mean) * tf.random.uniform(
        [batch, 1, 1, 1], 1 - recipe.contrast, 1 + recipe.contrast
    ) + mean
    gray = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - gray) * tf.random.uniform(
        [batch, 1, 1, 1], 1 - recipe.saturation, 1 + recipe.saturation
    ) + gray
    x, y = tf.clip_by_value(x, 0.0, 1.0), tf.one_hot(labels, num_classes)
    if recipe.cutout > 0:
        x = cut_out(x, recipe.cutout)
    if recipe.mixup > 0:
        x, y = mix_batch(x, y, recipe.mixup)
    return x, y


def _random_transforms(batch: tf.Tensor, size: tf.Tensor, recipe: Recipe) -> tf.Tensor:
    """One projective transform per image: a whole-pixel shift, and a zoom and turn about the
    centre when the recipe asks for them (each row maps an output pixel to its source)."""
    pad = recipe.shift_pixels
    dx, dy = (
        tf.cast(tf.random.uniform([batch], -pad, pad + 1, dtype=tf.int32), tf.float32)
        for _ in range(2)
    )
    scale = tf.random.uniform([batch], 1 - recipe.zoom, 1 + recipe.zoom)
    angle = tf.random.uniform([batch], -recipe.rotation, recipe.rotation) * (np.pi / 180)
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    centre = (tf.cast(size, tf.float32) - 1) / 2
    zeros = tf.zeros([batch])
    return tf.stack(
        [
            cos,
            -sin,
            centre - (cos - sin) * centre + dx,
            sin,
            cos,
            centre - (sin + cos) * centre + dy,
            zeros,
            zeros,
        ],
        1,
    )


def cut_out(images: tf.Tensor, side: int) -> tf.Tensor:
    """Each image with a ``side`` x ``side`` square around a random centre set to 0.5."""
    batch, size = tf.shape(images)[0], tf.shape(images)[1]
    centres = tf.random.uniform([batch, 2], 0, size, dtype=tf.int32)
    rows = tf.range(size)[tf.newaxis, :, tf.newaxis]
    cols = tf.range(size)[tf.newaxis, tf.newaxis, :]
    cy, cx = centres[:, 0, tf.newaxis, tf.newaxis], centres[:, 1, tf.newaxis, tf.newaxis]
    dy, dx, half = rows - cy, cols - cx, side // 2
    inside = (dy >= -half) & (dy < side - half) & (dx >= -half) & (dx < side - half)
    return tf.where(inside[..., tf.newaxis], tf.constant(0.5, images.dtype), images)


def mix_batch(x: tf.Tensor, y: tf.Tensor, alpha: float) -> tuple[tf.Tensor, tf.Tensor]:
    """Blend each image and target with a shuffled partner: weights from Beta(alpha, alpha)."""
    batch = tf.shape(x)[0]
    first = tf.random.gamma([batch], alpha)
    second = tf.random.gamma([batch], alpha)
    weight = first / (first + second)
    partner = tf.random.shuffle(tf.range(batch))
    image_weight = tf.reshape(weight, [-1, 1, 1, 1])
    target_weight = tf.reshape(weight, [-1, 1])
    mixed_x = image_weight * x + (1 - image_weight) * tf.gather(x, partner)
    mixed_y = target_weight * y + (1 - target_weight) * tf.gather(y, partner)
    return mixed_x, mixed_y


class _AverageLastEpochs(keras.callbacks.Callback):  # type: ignore[misc]
    """Running mean of the weights after each of the epochs from ``first_epoch`` on (SWA)."""

    def __init__(self, first_epoch: int) -> None:
        super().__init__()
        self.first_epoch = first_epoch
        self.count = 0
        self.total: list[np.ndarray] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if epoch + 1 < self.first_epoch:
            return
        weights = [np.asarray(w, dtype=np.float64) for w in self.model.get_weights()]
        self.total = (
            weights if not self.total else [t + w for t, w in zip(self.total, weights, strict=True)]
        )
        self.count += 1

    def average(self) -> list[np.ndarray]:
        return [(t / self.count).astype(np.float32) for t in self.total]


def recompute_batch_norm(model: keras.Model, pixels: np.ndarray, batch_size: int = 250) -> None:
    """Set each BN layer's moving mean and variance to the exact statistics of its input.

    Averaged weights need statistics of their own ("precise BN"); the layers are done in
    order because each one's input depends on the statistics of the ones before it.
    """
    for layer in model.layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        probe = keras.Model(model.inputs, layer.input)
        total = total_sq = None
        count = 0
        for start in range(0, len(pixels), batch_size):
            batch = pixels[start : start + batch_size].astype(np.float32) / np.float32(255)
            values = np.asarray(probe(batch, training=False), dtype=np.float64)
            flat = values.reshape(-1, values.shape[-1])
            total = flat.sum(axis=0) if total is None else total + flat.sum(axis=0)
            total_sq = (
                (flat**2).sum(axis=0) if total_sq is None else total_sq + (flat**2).sum(axis=0)
            )
            count += flat.shape[0]
        assert total is not None and total_sq is not None
        mean = total / count
        variance = np.maximum(total_sq / count - mean**2, 0.0)
        gamma, beta, _, _ = layer.get_weights()
        layer.set_weights([gamma, beta, mean.astype(np.float32), variance.astype(np.float32)])


class _KeepBest(keras.callbacks.Callback):  # type: ignore[misc]
    """Remember the weights of the epoch with the best validation accuracy."""

    def __init__(self) -> None:
        super().__init__()
        self.best_accuracy = -1.0
        self.best_epoch = 0
        self.best_weights: list[np.ndarray] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        accuracy = float((logs or {}).get("val_accuracy", 0.0))
        if accuracy > self.best_accuracy:
            self.best_accuracy = accuracy
            self.best_epoch = epoch + 1
            self.best_weights = [weight.copy() for weight in self.model.get_weights()]


def _optimizer(
    recipe: Recipe, schedule: keras.optimizers.schedules.LearningRateSchedule
) -> keras.optimizers.Optimizer:
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(
            schedule, momentum=0.9, nesterov=True, weight_decay=recipe.weight_decay
        )
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(schedule, weight_decay=recipe.weight_decay)
    raise ValueError(f"Unknown optimizer {recipe.optimizer!r}: use adamw or sgd.")


def _schedule(
    recipe: Recipe, epochs: int, images: int
) -> keras.optimizers.schedules.LearningRateSchedule:
    """The learning rate per step over ``epochs`` (see :attr:`Recipe.schedule`)."""
    steps = epochs * int(np.ceil(images / recipe.batch_size))
    if recipe.schedule == "one_cycle":
        warmup = max(1, int(steps * 0.3))
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=recipe.learning_rate / 25,
            decay_steps=max(1, steps - warmup),
            warmup_target=recipe.learning_rate,
            warmup_steps=warmup,
            alpha=1e-4,
        )
    if recipe.schedule != "cosine":
        raise ValueError(f"Unknown schedule {recipe.schedule!r}: use cosine or one_cycle.")
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=steps,
        warmup_target=recipe.learning_rate,
        warmup_steps=max(1, int(steps * recipe.warmup_fraction)),
    )


def _batches(
    images: LabelledImages,
    num_classes: int,
    soft_targets: np.ndarray | None,
    teacher: keras.Model | None = None,
) -> Callable[[Recipe], tf.data.Dataset]:
    """Shuffled, augmented batches; with ``soft_targets`` the targets are [label | teacher],
    and so they are with a ``teacher`` (a logits model) that sees each augmented batch."""

    def dataset(recipe: Recipe) -> tf.data.Dataset:
        def to_batch(pixels: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            return augment_batch(pixels, recipe, num_classes, labels)

        def to_distill_batch(
            pixels: tf.Tensor, labels: tf.Tensor, soft: tf.Tensor
        ) -> tuple[tf.Tensor, tf.Tensor]:
            x, y = augment_batch(pixels, recipe, num_classes, labels)
            return x, tf.concat([y, soft], axis=1)

        if soft_targets is None:
            source = tf.data.Dataset.from_tensor_slices((images.pixels, images.labels))
            mapper: Callable[..., tuple[tf.Tensor, tf.Tensor]] = to_batch
        else:
            source = tf.data.Dataset.from_tensor_slices(
                (images.pixels, images.labels, soft_targets)
            )
            mapper = to_distill_batch
        batches = (
            source.shuffle(len(images), seed=recipe.seed, reshuffle_each_iteration=True)
            .batch(recipe.batch_size)
            .map(mapper, num_parallel_calls=tf.data.AUTOTUNE)
        )
        if teacher is not None:
            batches = batches.map(
                lambda x, y: (x, tf.concat([y, teacher(x, training=False)], axis=1))
            )
        return batches.prefetch(tf.data.AUTOTUNE)

    return dataset


def _validation(
    images: LabelledImages, num_classes: int, *, with_teacher_columns: bool
) -> tf.data.Dataset:
    """The validation split as one-hot targets (padded with zero "teacher logits" if needed).

    Only its accuracy is used; under distillation its loss is against a uniform teacher.
    """
    targets = np.eye(num_classes, dtype=np.float32)[images.labels]
    if with_teacher_columns:
        targets = np.concatenate([targets, np.zeros_like(targets)], axis=1)
    return tf.data.Dataset.from_tensor_slices(
        (images.pixels.astype(np.float32) / np.float32(255.0), targets)
    ).batch(256)


def _training_network(arch: Architecture, recipe: Recipe, seed: int) -> keras.Model:
    """The network as the recipe trains it (BN, branches), before folding for export."""
    return build_model(
        arch,
        batch_norm=recipe.batch_norm,
        seed=seed,
        reparam=recipe.reparam,
        dense_batch_norm=recipe.dense_batch_norm,
    )


def _train_teacher(
    train_images: LabelledImages,
    val_images: LabelledImages,
    arch: Architecture,
    recipe: Recipe,
    *,
    verbose: int,
) -> tuple[keras.Model, float]:
    """Train the distillation teacher; return it as a logits model and its best validation
    accuracy (the epoch with that accuracy is the one that teaches)."""
    epochs = max(1, round(recipe.epochs * recipe.teacher_fraction))
    if recipe.teacher_kind == "tiny_vgg":
        # Its own initial weights (seed + 100), then the student's recipe unchanged.
        teacher = _training_network(arch, recipe, seed=recipe.seed + 100)
        teacher_recipe = recipe
    else:
        teacher = build_teacher(
            recipe.teacher_width, arch.input_size, arch.num_classes, recipe.seed
        )
        teacher_recipe = replace(
            recipe, weight_decay=recipe.teacher_weight_decay, optimizer="adamw"
        )
    teacher.compile(
        optimizer=_optimizer(teacher_recipe, _schedule(teacher_recipe, epochs, len(train_images))),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
        metrics=["accuracy"],
    )
    keep_best = _KeepBest()
    teacher.fit(
        _batches(train_images, arch.num_classes, None)(recipe),
        epochs=epochs,
        validation_data=_validation(val_images, arch.num_classes, with_teacher_columns=False),
        callbacks=[keep_best],
        verbose=verbose,
    )
    teacher.set_weights(keep_best.best_weights)
    logits = keras.Model(teacher.inputs, teacher.get_layer("output").output)
    return logits, keep_best.best_accuracy


def _keep(
    model: keras.Model,
    recipe: Recipe,
    *,
    history: dict[str, list[float]],
    keep_best: _KeepBest,
    averager: _AverageLastEpochs,
    train_images: LabelledImages,
    val_ds: tf.data.Dataset | None,
) -> tuple[str, float | None, float]:
    """Set ``model`` to the weights the recipe keeps: (what was kept, its accuracy, SWA's).

    "last" keeps the weights as they are. Otherwise the best single epoch and the average
    of the last epochs (BN statistics recomputed on the training images) are compared on
    the selection images.
    """
    if recipe.keep == "last":
        watched = history.get("val_accuracy")
        return f"last epoch ({recipe.epochs})", float(watched[-1]) if watched else None, 0.0
    assert val_ds is not None  # train() refuses any other keep without selection images
    model.set_weights(averager.average())
    recompute_batch_norm(model, train_images.pixels)
    averaged = float(model.evaluate(val_ds, verbose=0, return_dict=True)["accuracy"])
    if averaged >= keep_best.best_accuracy:
        return f"average of epochs {averager.first_epoch}-{recipe.epochs}", averaged, averaged
    model.set_weights(keep_best.best_weights)
    return f"epoch {keep_best.best_epoch}", keep_best.best_accuracy, averaged


def _check_recipe(recipe: Recipe) -> None:
    if recipe.mixup and recipe.has_teacher:
        raise ValueError("Mixup and distillation together are not supported: choose one.")
    if recipe.teacher_kind not in ("residual", "tiny_vgg"):
        raise ValueError(f"Unknown teacher_kind {recipe.teacher_kind!r}: residual or tiny_vgg.")
    if recipe.distill_targets not in ("fixed", "consistent"):
        raise ValueError(
            f"Unknown distill_targets {recipe.distill_targets!r}: fixed or consistent."
        )
    if recipe.keep not in ("best_or_average", "last"):
        raise ValueError(f"Unknown keep {recipe.keep!r}: use best_or_average or last.")


def train(
    train_images: LabelledImages,
    val_images: LabelledImages | None,
    arch: Architecture,
    classes: Sequence[ImageClass],
    recipe: Recipe,
    *,
    verbose: int | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainingResult:
    """Train ``arch`` on ``train_images``, select on ``val_images``, return the folded model.

    With ``val_images`` None (the final fit on every training image, once the recipe was
    chosen on a selection split) nothing watches the run, so the recipe must keep the last
    epoch and have no teacher (a teacher keeps its best epoch on the selection images).
    ``callbacks`` run after the recipe's own (progress, cancellation: the model studio);
    they observe the training and do not change its result.
    """
    if len(classes) != arch.num_classes:
        raise ValueError(f"{len(classes)} classes given for a {arch.num_classes}-class model.")
    _check_recipe(recipe)
    if val_images is None and (recipe.keep != "last" or recipe.has_teacher):
        raise ValueError("Training without selection images keeps the last epoch, no teacher.")
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    started = time.monotonic()
    soft_targets: np.ndarray | None = None
    teacher: keras.Model | None = None
    teacher_accuracy: float | None = None
    if recipe.has_teacher and val_images is not None:
        teacher, teacher_accuracy = _train_teacher(
            train_images, val_images, arch, recipe, verbose=verbose
        )
        if recipe.distill_targets == "fixed":
            soft_targets, teacher = teacher_logits(teacher, train_images.pixels), None
    teacher_seconds = time.monotonic() - started
    keras.utils.set_random_seed(recipe.seed)  # the student's stream, with or without teacher
    distilling = soft_targets is not None or teacher is not None
    dataset = _batches(train_images, arch.num_classes, soft_targets, teacher)
    light = replace(recipe, shift_pixels=0, brightness=0.0, contrast=0.0, saturation=0.0)
    light_epochs = int(recipe.epochs * recipe.light_final_fraction)
    val_ds = (
        None
        if val_images is None
        else _validation(val_images, arch.num_classes, with_teacher_columns=distilling)
    )

    model = _training_network(arch, recipe, seed=recipe.seed)
    loss: Any = keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)
    metric: Any = "accuracy"
    if distilling:
        loss = distillation_loss(
            arch.num_classes,
            recipe.label_smoothing,
            recipe.distill_weight,
            recipe.distill_temperature,
        )
        metric = label_accuracy(arch.num_classes)
    model.compile(
        optimizer=_optimizer(recipe, _schedule(recipe, recipe.epochs, len(train_images))),
        loss=loss,
        metrics=[metric],
    )
    keep_best = _KeepBest()
    averaged_epochs = max(1, int(recipe.epochs * recipe.average_last_fraction))
    first_averaged = recipe.epochs - averaged_epochs + 1
    averager = _AverageLastEpochs(first_averaged)
    history: dict[str, list[float]] = {}
    phases = [(dataset(recipe), 0, recipe.epochs - light_epochs)]
    if light_epochs:
        phases.append((dataset(light), recipe.epochs - light_epochs, recipe.epochs))
    for batches, first, last in phases:  # one optimizer and schedule across both phases
        fitted = model.fit(
            batches,
            initial_epoch=first,
            epochs=last,
            validation_data=val_ds,
            callbacks=[keep_best, averager, *callbacks],
            verbose=verbose,
        )
        for key, values in fitted.history.items():
            history.setdefault(key, []).extend(float(v) for v in values)
    selected, accuracy, averaged_accuracy = _keep(
        model,
        recipe,
        history=history,
        keep_best=keep_best,
        averager=averager,
        train_images=train_images,
        val_ds=val_ds,
    )
    if recipe.clean_batch_norm and recipe.batch_norm:
        recompute_batch_norm(model, train_images.pixels)
        if val_images is not None:
            scores = model.predict(scale_to_unit(val_images.pixels), verbose=0)
            accuracy = report_for(classes, val_images.labels, scores).top1
    seconds = time.monotonic() - started
    return TrainingResult(
        model=fold_batch_norm(model, arch),
        best_epoch=keep_best.best_epoch,
        best_val_accuracy=accuracy,
        seconds=seconds,
        history=history,
        selected=selected,
        best_epoch_accuracy=keep_best.best_accuracy,
        averaged_accuracy=averaged_accuracy,
        teacher_val_accuracy=teacher_accuracy,
        teacher_seconds=teacher_seconds if recipe.has_teacher else 0.0,
    )

"""Knowledge distillation: a small residual network teaches Tiny VGG during training only.

Tiny VGG (20k parameters) is capacity-bound: with augmentation it fits its training images
no better than its validation images. A teacher that costs about as much per epoch (its
first convolution has stride 2, so its wider layers work on small feature maps) learns
the ten classes better, and its softened outputs tell the student which mistakes are
close (a red panda looks more like a koala than like a school bus). The teacher is never
exported: the student is trained on a mix of the labels and the teacher's soft targets
and exported alone, exactly DESIGN.md's layers.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf


def _conv_bn_relu(x: keras.KerasTensor, filters: int, strides: int = 1) -> keras.KerasTensor:
    x = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization(momentum=0.9)(x)
    return keras.layers.ReLU()(x)


def _residual_block(x: keras.KerasTensor, filters: int, strides: int) -> keras.KerasTensor:
    shortcut = x
    y = _conv_bn_relu(x, filters, strides)
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = keras.layers.BatchNormalization(momentum=0.9)(y)
    if strides != 1 or int(x.shape[-1]) != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=strides, use_bias=False)(x)
        shortcut = keras.layers.BatchNormalization(momentum=0.9)(shortcut)
    return keras.layers.ReLU()(keras.layers.Add()([y, shortcut]))


def build_teacher(width: int, input_size: int, num_classes: int, seed: int = 0) -> keras.Model:
    """A ResNet-style teacher: stride-2 stem, three residual stages of ``width`` x 1, 2, 4.

    Its output is softmax probabilities like the student's, and its logits layer is named
    ``output`` so that the trainer can take them as a logits model.
    """
    keras.utils.set_random_seed(seed + 100)  # its own stream, independent of the student's
    inputs = keras.Input(shape=(input_size, input_size, 3), name="input")
    x = _conv_bn_relu(inputs, width, strides=2)
    x = _residual_block(x, width, 1)
    x = _residual_block(x, 2 * width, 2)
    x = _residual_block(x, 4 * width, 2)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2, seed=seed)(x)
    logits = keras.layers.Dense(num_classes, name="output")(x)
    return keras.Model(inputs, keras.layers.Softmax(name="softmax")(logits), name="teacher")


def teacher_logits(teacher: keras.Model, pixels: np.ndarray, batch_size: int = 250) -> np.ndarray:
    """A logits model's outputs for uint8 ``pixels``, averaged over each image and its mirror.

    The "fixed" targets (``Recipe.distill_targets``): computed once, on the un-augmented
    images, at far less than a teacher forward pass at every training step, on the view the
    student sees ("consistent").
    """
    scaled = pixels.astype(np.float32) / np.float32(255)
    plain = teacher.predict(scaled, batch_size=batch_size, verbose=0)
    mirrored = teacher.predict(scaled[:, :, ::-1], batch_size=batch_size, verbose=0)
    averaged: np.ndarray = ((plain + mirrored) / 2).astype(np.float32)
    return averaged


def distillation_loss(
    num_classes: int, label_smoothing: float, weight: float, temperature: float
) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """Loss for ``y_true`` = [one-hot label | teacher logits] and the student's probabilities.

    ``(1 - weight)`` x cross-entropy with the smoothed label, plus ``weight`` x T^2 x
    KL divergence from the teacher to the student, both softened by temperature T (Hinton
    et al., 2015; KL rather than cross-entropy: same gradient, zero when they agree).
    The student's logits are recovered as log-probabilities: softmax ignores the constant
    by which they differ.
    """
    hard_loss = keras.losses.CategoricalCrossentropy(
        label_smoothing=label_smoothing, reduction=None
    )

    def loss(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        labels, soft = y_true[:, :num_classes], y_true[:, num_classes:]
        hard = hard_loss(labels, y_pred)
        log_probs = tf.math.log(tf.clip_by_value(y_pred, 1e-7, 1.0))
        teacher_log = tf.nn.log_softmax(soft / temperature)
        student_log = tf.nn.log_softmax(log_probs / temperature)
        divergence = tf.reduce_sum(tf.exp(teacher_log) * (teacher_log - student_log), axis=-1)
        distilled = divergence * temperature**2
        return (1.0 - weight) * hard + weight * distilled

    return loss


def label_accuracy(num_classes: int) -> keras.metrics.Metric:
    """Top-1 accuracy against the label part of ``y_true`` (logged as ``accuracy``)."""

    def accuracy(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        return tf.cast(
            tf.equal(tf.argmax(y_true[:, :num_classes], axis=-1), tf.argmax(y_pred, axis=-1)),
            tf.float32,
        )

    return keras.metrics.MeanMetricWrapper(accuracy, name="accuracy")

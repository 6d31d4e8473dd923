"""What an upload must be before it is converted: its size, format, input and class names.

The limits keep one instructor's upload from filling the worker's memory or the views (a
thousand classes, a 20 M-parameter model); the format is picked from the file names, so a
mixed upload is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from services.pipeline.classes import ImageClass
from services.pipeline.import_formats import (
    ImportRejected,
    SourceModel,
    read_h5,
    read_keras_archive,
    read_tfjs,
)
from services.pipeline.import_limits import MAX_PARAMETERS

__all__ = [
    "LABEL_FILES",
    "MAX_CLASSES",
    "MAX_INPUT_SIZE",
    "MAX_PARAMETERS",
    "MAX_UPLOAD_BYTES",
    "MIN_INPUT_SIZE",
    "class_list",
    "input_size",
    "read_upload",
]

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MIN_INPUT_SIZE, MAX_INPUT_SIZE = 8, 128
MAX_CLASSES = 1000
LABEL_FILES = ("labels.txt", "classes.txt")


def read_upload(files: Mapping[str, bytes]) -> SourceModel:
    """Pick the format from the file names and read the model."""
    if not files:
        raise ImportRejected("No file was uploaded.")
    total = sum(len(content) for content in files.values())
    if total > MAX_UPLOAD_BYTES:
        raise ImportRejected(
            f"The upload is {total / 2**20:.1f} MB; at most {MAX_UPLOAD_BYTES // 2**20} MB allowed."
        )
    lower = {Path(name).name.lower(): name for name in files}
    keras_files = [n for low, n in lower.items() if low.endswith(".keras")]
    h5_files = [n for low, n in lower.items() if low.endswith((".h5", ".hdf5"))]
    json_files = [n for low, n in lower.items() if low.endswith(".json")]
    if len(keras_files) + len(h5_files) > 1 or ((keras_files or h5_files) and json_files):
        raise ImportRejected("Upload one model: one .keras or .h5 file, or one model.json.")
    if keras_files:
        return read_keras_archive(files[keras_files[0]], keras_files[0])
    if h5_files:
        return read_h5(files[h5_files[0]], h5_files[0])
    if len(json_files) == 1:
        return read_tfjs(files, json_files[0])
    raise ImportRejected(
        "Upload a Keras model (.keras or .h5) or a TensorFlow.js layers model "
        "(model.json with its .bin weight files)."
    )


def input_size(source: SourceModel) -> int:
    """The side of the square RGB input the model takes, within what the views show."""
    shape = source.input_shape
    if len(shape) != 3 or any(d is None for d in shape):
        raise ImportRejected(
            f"The model's input shape {shape} is not a fixed height x width x 3 image; give "
            "it an Input of shape (size, size, 3)."
        )
    height, width, channels = (int(d) for d in shape if d is not None)
    if channels != 3:
        raise ImportRejected(
            f"The model takes {channels}-channel input ({height}x{width}x{channels}); CNN 101 "
            "feeds RGB images (3 channels)."
        )
    if height != width:
        raise ImportRejected(
            f"The model's input is {height}x{width}, not square; CNN 101 feeds square images."
        )
    if not MIN_INPUT_SIZE <= height <= MAX_INPUT_SIZE:
        raise ImportRejected(
            f"The model's input is {height}x{width}; CNN 101 shows inputs from "
            f"{MIN_INPUT_SIZE} to {MAX_INPUT_SIZE} pixels square."
        )
    return height


def class_list(
    files: Mapping[str, bytes], class_names: Sequence[str] | None, units: int
) -> list[ImageClass]:
    """One class per output unit: given names, else a labels file, else class_1 ... class_N."""
    names: list[str]
    if class_names is not None:
        names = [str(n).strip() for n in class_names]
    else:
        label_file = next(
            (content for name, content in files.items() if Path(name).name.lower() in LABEL_FILES),
            None,
        )
        if label_file is not None:
            try:
                text = label_file.decode("utf-8")
            except UnicodeDecodeError:
                raise ImportRejected("The labels file is not UTF-8 text.") from None
            names = [line.strip() for line in text.splitlines() if line.strip()]
        else:
            names = [f"class_{i + 1}" for i in range(units)]
    if len(names) != units:
        raise ImportRejected(
            f"{len(names)} class names were given, but the model's output layer has "
            f"{units} units: give one name per output unit, in order."
        )
    if units > MAX_CLASSES:
        raise ImportRejected(f"The model has {units} classes; at most {MAX_CLASSES} are allowed.")
    if any(not n or len(n) > 60 for n in names):
        raise ImportRejected("Every class name must be 1 to 60 characters long.")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ImportRejected(f"Class names repeat: {', '.join(duplicates)}.")
    return [ImageClass(n, n) for n in names]

"""What an upload must be before it is converted: its size, format, input and class names.

The limits keep one instructor's upload from filling the worker's memory or the views (a
thousand classes, a 20 M-parameter model); the format is picked from the file names, so a
mixed upload is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from services.pipeline.classes import ImageClass
from services.pipeline.import_checks import MAX_UPLOAD_BYTES, model_file
from services.pipeline.import_formats import ImportRejected, SourceModel
from services.pipeline.import_limits import (
    MAX_INPUT_SIZE,
    MAX_PARAMETERS,
    MIN_INPUT_SIZE,
    square_input,
)
from services.pipeline.import_loading import read_h5, read_keras_archive, read_tfjs

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

MAX_CLASSES = 1000
LABEL_FILES = ("labels.txt", "classes.txt")


def read_upload(files: Mapping[str, bytes]) -> SourceModel:
    """Pick the format from the file names and read the model (its metadata is checked
    first, services/pipeline/import_limits.py, then Keras loads it)."""
    kind, name = model_file(files)
    if kind == "keras":
        return read_keras_archive(files[name], name)
    if kind == "h5":
        return read_h5(files[name], name)
    return read_tfjs(files, name)


def input_size(source: SourceModel) -> int:
    """The side of the square RGB input the model takes, within what the views show."""
    return square_input(source.input_shape)


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

"""Read a data directory in the official Tiny ImageNet layout.

The layout (``wnids.txt``, ``train/<wnid>/images/*.JPEG``, ``val/val_annotations.txt`` +
``val/images/``) is the archive's own, so the same code reads the full 200-class download,
the ten-class folder that ships beside the project, and any validation folder a teacher
brings. Every problem is reported as a :class:`DataDirectoryError` that says what is wrong
and where, because the person reading it is usually setting up a classroom, not debugging.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from services.pipeline.classes import ImageClass
from services.pipeline.preprocess import MODEL_INPUT_SIZE, to_model_pixels

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")


class DataDirectoryError(ValueError):
    """The data directory is missing, empty, malformed or holds an unreadable image."""


@dataclass(frozen=True)
class LabelledImages:
    """Images as a uint8 ``N x size x size x 3`` array with their class indices and files."""

    pixels: np.ndarray
    labels: np.ndarray
    paths: tuple[Path, ...]

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def _require_dir(path: Path, what: str) -> None:
    if not path.exists():
        raise DataDirectoryError(f"{what} {path} does not exist.")
    if not path.is_dir():
        raise DataDirectoryError(f"{what} {path} is not a directory.")


def check_data_dir(data_dir: Path) -> None:
    """Fail with a clear message unless ``data_dir`` looks like a Tiny ImageNet folder."""
    hint = (
        "Point CNN101_DATA_DIR at a folder in the Tiny ImageNet layout "
        "(wnids.txt, train/, val/), or fetch one with `cnn101 data download`."
    )
    if not data_dir.exists():
        raise DataDirectoryError(f"Data directory {data_dir} does not exist. {hint}")
    if not data_dir.is_dir():
        raise DataDirectoryError(f"Data directory {data_dir} is not a directory. {hint}")
    if not any(data_dir.iterdir()):
        raise DataDirectoryError(f"Data directory {data_dir} is empty. {hint}")
    missing = [name for name in ("wnids.txt", "train", "val") if not (data_dir / name).exists()]
    if missing:
        raise DataDirectoryError(
            f"Data directory {data_dir} is not in the Tiny ImageNet layout: "
            f"missing {', '.join(missing)}. {hint}"
        )


def read_wnids(data_dir: Path) -> list[str]:
    """The WordNet ids listed in ``wnids.txt``, in file order."""
    path = data_dir / "wnids.txt"
    if not path.is_file():
        raise DataDirectoryError(f"{path} is missing: it lists the class ids of the data set.")
    wnids = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    wnids = [wnid for wnid in wnids if wnid]
    if not wnids:
        raise DataDirectoryError(f"{path} is empty: it must list one class id per line.")
    return wnids


def read_words(data_dir: Path) -> dict[str, str]:
    """WordNet id to its first English name, from ``words.txt`` (empty if absent)."""
    path = data_dir / "words.txt"
    if not path.is_file():
        return {}
    names: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        wnid, _, words = line.partition("\t")
        if wnid and words:
            names[wnid.strip()] = words.split(",")[0].strip()
    return names


def load_image(path: Path, size: int = MODEL_INPUT_SIZE) -> np.ndarray:
    """Decode one image file to model pixels, or say which file is broken."""
    try:
        with Image.open(path) as image:
            image.load()
            return to_model_pixels(image, size)
    except FileNotFoundError as error:
        raise DataDirectoryError(f"Image {path} is listed but does not exist.") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise DataDirectoryError(f"Image {path} is corrupt or not an image: {error}") from error


def _stack(files: Sequence[tuple[Path, int]], size: int, description: str) -> LabelledImages:
    if not files:
        raise DataDirectoryError(f"No images found for {description}.")
    pixels = np.empty((len(files), size, size, 3), dtype=np.uint8)
    for index, (path, _) in enumerate(files):
        pixels[index] = load_image(path, size)
    labels = np.array([label for _, label in files], dtype=np.int64)
    return LabelledImages(pixels, labels, tuple(path for path, _ in files))


def list_train_files(data_dir: Path, classes: Sequence[ImageClass]) -> list[tuple[Path, int]]:
    """Every training image of the given classes with its class index."""
    check_data_dir(data_dir)
    files: list[tuple[Path, int]] = []
    for label, image_class in enumerate(classes):
        images_dir = data_dir / "train" / image_class.wnid / "images"
        _require_dir(images_dir, f"Training folder for class {image_class.name!r}")
        class_files = sorted(
            path for path in images_dir.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES
        )
        if not class_files:
            raise DataDirectoryError(
                f"Training folder {images_dir} for class {image_class.name!r} holds no images."
            )
        files.extend((path, label) for path in class_files)
    return files


def load_train(
    data_dir: Path, classes: Sequence[ImageClass], size: int = MODEL_INPUT_SIZE
) -> LabelledImages:
    """Load the training split of ``classes`` (label = position in ``classes``)."""
    return _stack(list_train_files(data_dir, classes), size, f"training in {data_dir}")


def list_annotated_files(split_dir: Path, classes: Sequence[ImageClass]) -> list[tuple[Path, int]]:
    """Images of a folder in the validation layout whose class is one of ``classes``.

    Lines for other classes are skipped, so the full 200-class validation folder can be
    evaluated on the ten classes a model knows.
    """
    _require_dir(split_dir, "Validation folder")
    annotations = split_dir / "val_annotations.txt"
    if not annotations.is_file():
        raise DataDirectoryError(
            f"{annotations} is missing: a validation folder needs val_annotations.txt "
            "(file name, class id, box) and an images/ folder."
        )
    images_dir = split_dir / "images"
    _require_dir(images_dir, "Validation image folder")
    label_of = {image_class.wnid: index for index, image_class in enumerate(classes)}
    files: list[tuple[Path, int]] = []
    lines = annotations.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0] or not fields[1]:
            raise DataDirectoryError(
                f"{annotations}, line {number}: expected 'file<TAB>class id<TAB>box', "
                f"got {line[:80]!r}."
            )
        file_name, wnid = fields[0].strip(), fields[1].strip()
        if Path(file_name).name != file_name:
            raise DataDirectoryError(
                f"{annotations}, line {number}: {file_name!r} must be a plain file name."
            )
        if wnid in label_of:
            files.append((images_dir / file_name, label_of[wnid]))
    if not files:
        known = ", ".join(image_class.wnid for image_class in classes)
        raise DataDirectoryError(f"{annotations} lists no image of the model's classes ({known}).")
    return files


def load_annotated(
    split_dir: Path, classes: Sequence[ImageClass], size: int = MODEL_INPUT_SIZE
) -> LabelledImages:
    """Load a folder in the official validation layout (``val_annotations.txt`` + ``images/``)."""
    return _stack(list_annotated_files(split_dir, classes), size, f"validation in {split_dir}")


def load_validation(
    data_dir: Path, classes: Sequence[ImageClass], size: int = MODEL_INPUT_SIZE
) -> LabelledImages:
    """The data directory's own validation split."""
    check_data_dir(data_dir)
    return load_annotated(data_dir / "val", classes, size)


SELECTION_PER_CLASS = 50


def selection_per_class(images: LabelledImages) -> int:
    """How many images per class to set aside: 50, or a tenth of the smallest class (>= 1)."""
    smallest = int(np.bincount(images.labels).min()) if len(images) else 0
    return max(1, min(SELECTION_PER_CLASS, smallest // 10))


def _selection_key(path: Path, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{path.name}".encode()).hexdigest()


def split_selection(
    images: LabelledImages, per_class: int = SELECTION_PER_CLASS, seed: int = 0
) -> tuple[LabelledImages, LabelledImages]:
    """Carve a selection split from training images: ``(train minus selection, selection)``.

    Per class, the ``per_class`` images whose SHA-256 of ``"<seed>:<file name>"`` sorts first
    are the selection split, so the split depends only on file names and ``seed`` (not on
    load order). Recipes, epochs and checkpoints are chosen on it; the validation split is
    used once, at the end.
    """
    selected = np.zeros(len(images), dtype=bool)
    for label in np.unique(images.labels):
        indices = np.flatnonzero(images.labels == label)
        if len(indices) <= per_class:
            raise DataDirectoryError(
                f"Class {int(label)} has {len(indices)} training images: too few to keep "
                f"{per_class} aside for selection."
            )
        ranked = sorted(indices, key=lambda i: _selection_key(images.paths[i], seed))
        selected[ranked[:per_class]] = True

    def subset(mask: np.ndarray) -> LabelledImages:
        picked = np.flatnonzero(mask)
        return LabelledImages(
            images.pixels[picked], images.labels[picked], tuple(images.paths[i] for i in picked)
        )

    return subset(~selected), subset(selected)

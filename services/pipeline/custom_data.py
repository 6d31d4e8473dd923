"""An instructor's own labelled images: a zip with one folder per class.

:func:`inspect_zip` validates an upload (the studio runs it in a process of its own, off
its event loop: services/studio/dataset_checks.py): the layout, the counts, then every
image's header (format, pixels, the total of pixels) before any image is decoded, then
every image decoded once; :func:`load_zip` turns an accepted
zip into model input in the worker, through the same centre-crop and resize as the built-in
data (:func:`services.pipeline.preprocess.to_model_pixels`); :func:`stratified_split` holds
out a share of every class for the accuracy a trained variant reports.

No TensorFlow here: the studio service imports this module.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
from PIL import Image, UnidentifiedImageError

from services.pipeline.classes import ImageClass
from services.pipeline.data import LabelledImages
from services.pipeline.preprocess import to_model_pixels

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "BMP"}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
# Files the operating systems add to an archive; skipped, not errors.
JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$|\._)", re.IGNORECASE)
CLASS_NAME = re.compile(r"^[^\x00-\x1f/\\]{1,60}$")


class InvalidDatasetError(ValueError):
    """The zip cannot be used; the message names the folder or file and what to change."""


@dataclass(frozen=True)
class DatasetLimits:
    """What a custom data set may hold (evaluation settings fill it from the environment)."""

    max_zip_bytes: int = 10 * 1024 * 1024
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_files: int = 5000
    min_classes: int = 2
    max_classes: int = 20
    min_images_per_class: int = 10
    max_images_per_class: int = 1000
    max_image_pixels: int = 4096 * 4096
    # All images together, read from their headers before any is decoded: what decoding
    # may cost (a zip of 168 blank 4096x4096 PNGs is 10 MB and 2.8 billion pixels).
    max_total_pixels: int = 500_000_000


@dataclass(frozen=True)
class ClassCount:
    name: str
    images: int


@dataclass(frozen=True)
class DatasetSummary:
    """An accepted zip: its classes (sorted by name, the label order) and any warnings."""

    classes: tuple[ClassCount, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def images(self) -> int:
        return sum(c.images for c in self.classes)

    def image_classes(self) -> tuple[ImageClass, ...]:
        return tuple(ImageClass(wnid=c.name, name=c.name) for c in self.classes)


def _members(archive: zipfile.ZipFile, limits: DatasetLimits) -> list[tuple[str, str, str]]:
    """``(class, file name, member name)`` of every image file, after the layout checks."""
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > limits.max_files:
        raise InvalidDatasetError(
            f"the zip holds {len(infos)} files; at most {limits.max_files} are accepted"
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise InvalidDatasetError(
            f"the zip unpacks to {total} bytes; at most {limits.max_uncompressed_bytes} "
            "are accepted"
        )
    files = [info.filename for info in infos if not JUNK.search(info.filename)]
    folders = [
        info.filename
        for info in archive.infolist()
        if info.is_dir() and not JUNK.search(info.filename)
    ]
    for name in files:
        path = PurePosixPath(name.replace("\\", "/"))
        if name.startswith(("/", "\\")) or ".." in path.parts or ":" in path.parts[0]:
            raise InvalidDatasetError(f"{name!r}: file names in the zip must be relative paths")
    parts = [PurePosixPath(name.replace("\\", "/")).parts for name in files]
    # One wrapping folder (the zip of a folder) is allowed: class/<file> or root/class/<file>.
    roots = {p[0] for p in parts}
    strip = 1 if len(roots) == 1 and all(len(p) == 3 for p in parts) else 0
    members: list[tuple[str, str, str]] = []
    for folder in folders:  # an empty class folder still counts, so it can be named
        folder_parts = PurePosixPath(folder.replace("\\", "/")).parts[strip:]
        if len(folder_parts) == 1 and ".." not in folder_parts:
            members.append((folder_parts[0], "", folder))
    for name, path_parts in zip(files, parts, strict=True):
        relative = path_parts[strip:]
        if len(relative) == 1:
            raise InvalidDatasetError(
                f"{name!r} is not in a class folder: put each class's images in a folder "
                "named after the class"
            )
        if len(relative) > 2:
            raise InvalidDatasetError(
                f"{name!r} is nested too deep: use one folder per class holding the images"
            )
        class_name, file_name = relative
        if not CLASS_NAME.match(class_name):
            raise InvalidDatasetError(
                f"folder {class_name!r}: class names are 1-60 printable chars"
            )
        if not file_name.lower().endswith(IMAGE_SUFFIXES):
            raise InvalidDatasetError(
                f"{name!r} is not an image file: use JPEG, PNG, WebP or BMP "
                f"({', '.join(IMAGE_SUFFIXES)})"
            )
        members.append((class_name, file_name, name))
    return members


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise InvalidDatasetError(f"the upload is not a zip archive ({error})") from None


def _header_pixels(archive: zipfile.ZipFile, member: str, limits: DatasetLimits) -> int:
    """The image's pixel count from its header (PIL reads only the first bytes of it)."""
    try:
        with archive.open(member) as handle, Image.open(handle) as image:
            if image.format not in IMAGE_FORMATS:
                raise InvalidDatasetError(
                    f"{member!r} is {image.format}: use JPEG, PNG, WebP or BMP"
                )
            width, height = image.size
    except InvalidDatasetError:
        raise
    except UnidentifiedImageError:
        raise InvalidDatasetError(f"{member!r} cannot be read as an image") from None
    except Exception as err:  # hostile archives fail in many ways, as in _decode
        raise InvalidDatasetError(
            f"{member!r} cannot be read as an image ({type(err).__name__}: {err})"
        ) from None
    if width * height > limits.max_image_pixels:
        raise InvalidDatasetError(
            f"{member!r} has {width}x{height} pixels; at most "
            f"{limits.max_image_pixels} pixels per image are accepted"
        )
    return width * height


def _check_total_pixels(
    archive: zipfile.ZipFile, grouped: dict[str, list[str]], limits: DatasetLimits
) -> None:
    """Refuse a zip whose images together hold too many pixels, before decoding any."""
    total = 0
    for members in grouped.values():
        for member in members:
            total += _header_pixels(archive, member, limits)
            if total > limits.max_total_pixels:
                raise InvalidDatasetError(
                    f"the images hold more than {limits.max_total_pixels:,} pixels together "
                    f"(counted from their headers, {total:,} so far): use fewer or smaller "
                    "pictures (the model sees them at 64x64 at most)"
                )


def _decode(archive: zipfile.ZipFile, member: str, limits: DatasetLimits) -> Image.Image:
    try:
        with archive.open(member) as handle:
            raw = handle.read()
        image = Image.open(io.BytesIO(raw))
        if image.format not in IMAGE_FORMATS:
            raise InvalidDatasetError(f"{member!r} is {image.format}: use JPEG, PNG, WebP or BMP")
        width, height = image.size
        if width * height > limits.max_image_pixels:
            raise InvalidDatasetError(
                f"{member!r} has {width}x{height} pixels; at most "
                f"{limits.max_image_pixels} pixels per image are accepted"
            )
        image.load()
        return image
    except InvalidDatasetError:
        raise
    except Image.DecompressionBombError:
        raise InvalidDatasetError(f"{member!r} has too many pixels") from None
    except UnidentifiedImageError:
        raise InvalidDatasetError(f"{member!r} cannot be read as an image") from None
    except Exception as err:  # hostile archives fail in many ways (zlib, crypto)
        # An encrypted member, an unknown compression method, a truncated stream, a
        # decoder error: each is the upload's fault, never the server's.
        raise InvalidDatasetError(
            f"{member!r} cannot be read as an image ({type(err).__name__}: {err})"
        ) from None


def _by_class(members: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for class_name, file_name, member in sorted(members):
        images = grouped.setdefault(class_name, [])
        if file_name:  # not the folder's own entry
            images.append(member)
    return grouped


def _check_counts(
    grouped: dict[str, list[str]], limits: DatasetLimits, warnings: list[str]
) -> None:
    if len(grouped) < limits.min_classes:
        found = ", ".join(grouped) or "none"
        raise InvalidDatasetError(
            f"the zip holds {len(grouped)} class folder(s) ({found}); at least "
            f"{limits.min_classes} are needed, one folder per class"
        )
    if len(grouped) > limits.max_classes:
        raise InvalidDatasetError(
            f"the zip holds {len(grouped)} class folders; at most {limits.max_classes}"
        )
    folded: dict[str, str] = {}
    for name in grouped:
        if name.casefold() in folded:
            raise InvalidDatasetError(
                f"folders {folded[name.casefold()]!r} and {name!r} differ only in case"
            )
        folded[name.casefold()] = name
    for name, members in grouped.items():
        if len(members) < limits.min_images_per_class:
            raise InvalidDatasetError(
                f"folder {name!r} holds {len(members)} image(s); every class needs at least "
                f"{limits.min_images_per_class}"
            )
        if len(members) > limits.max_images_per_class:
            raise InvalidDatasetError(
                f"folder {name!r} holds {len(members)} images; at most "
                f"{limits.max_images_per_class} per class"
            )
    counts = [len(m) for m in grouped.values()]
    if max(counts) > 3 * min(counts):
        warnings.append(
            f"the classes are unbalanced ({min(counts)} to {max(counts)} images): the "
            "model will favour the larger ones"
        )


def _accepted_members(
    data: bytes, limits: DatasetLimits
) -> tuple[zipfile.ZipFile, dict[str, list[str]], list[str]]:
    if len(data) > limits.max_zip_bytes:
        raise InvalidDatasetError(f"the zip is {len(data)} bytes; at most {limits.max_zip_bytes}")
    archive = _open(data)
    warnings: list[str] = []
    grouped = _by_class(_members(archive, limits))
    _check_counts(grouped, limits, warnings)
    _check_total_pixels(archive, grouped, limits)
    return archive, grouped, warnings


def inspect_zip(data: bytes, limits: DatasetLimits | None = None) -> DatasetSummary:
    """Validate the zip, decoding every image once; raise :class:`InvalidDatasetError`."""
    limits = limits or DatasetLimits()
    archive, grouped, warnings = _accepted_members(data, limits)
    small = 0
    with archive:
        for members in grouped.values():
            for member in members:
                image = _decode(archive, member, limits)
                small += min(image.size) < 32
    if small:
        warnings.append(f"{small} image(s) are smaller than 32 pixels and will be upscaled")
    return DatasetSummary(
        tuple(ClassCount(name, len(members)) for name, members in grouped.items()),
        tuple(warnings),
    )


def iter_images(
    data: bytes, size: int, limits: DatasetLimits | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """``(label, size x size x 3 uint8)`` of every image, labels in sorted class order."""
    limits = limits or DatasetLimits()
    archive, grouped, _ = _accepted_members(data, limits)
    with archive:
        for label, members in enumerate(grouped.values()):
            for member in members:
                yield label, to_model_pixels(_decode(archive, member, limits), size)


def load_zip(
    data: bytes, size: int, limits: DatasetLimits | None = None
) -> tuple[LabelledImages, tuple[ImageClass, ...]]:
    """Every image of an accepted zip as model input, with the classes in label order."""
    limits = limits or DatasetLimits()
    summary_classes = _accepted_members(data, limits)[1]
    pairs = list(iter_images(data, size, limits))
    pixels = np.stack([p for _, p in pairs]).astype(np.uint8)
    labels = np.array([label for label, _ in pairs], dtype=np.int64)
    classes = tuple(ImageClass(wnid=name, name=name) for name in summary_classes)
    return LabelledImages(pixels, labels, ()), classes


def stratified_split(
    images: LabelledImages, validation_fraction: float = 0.2, seed: int = 0
) -> tuple[LabelledImages, LabelledImages]:
    """Hold out ``validation_fraction`` of every class (at least one image each), seeded."""
    rng = np.random.default_rng(seed)
    train_index: list[int] = []
    val_index: list[int] = []
    for label in np.unique(images.labels):
        members = np.flatnonzero(images.labels == label)
        rng.shuffle(members)
        held = max(1, round(len(members) * validation_fraction))
        val_index.extend(members[:held].tolist())
        train_index.extend(members[held:].tolist())
    train_rows, val_rows = np.array(sorted(train_index)), np.array(sorted(val_index))
    return (
        LabelledImages(images.pixels[train_rows], images.labels[train_rows], ()),
        LabelledImages(images.pixels[val_rows], images.labels[val_rows], ()),
    )

"""Small data sets in the official Tiny ImageNet layout, made by the tests themselves.

Each class gets its own colour and stripe direction, so a network can learn them in an
epoch or two, and no real image ever needs to be copied into a test.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from services.pipeline.classes import ImageClass


def class_image(label: int, index: int, size: int = 64) -> Image.Image:
    """A noisy picture whose colour and stripes depend on ``label``."""
    rng = np.random.default_rng(label * 1000 + index)
    hue = np.array([(label * 37) % 256, (label * 91) % 256, (label * 53) % 256], dtype=np.float64)
    rows, cols = np.mgrid[0:size, 0:size]
    stripes = ((rows * (label % 3) + cols * (label // 3 % 3) + index) // 4) % 2
    pixels = hue[None, None, :] * (0.6 + 0.4 * stripes[..., None])
    pixels += rng.normal(0, 12, (size, size, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def write_tiny_imagenet(
    root: Path,
    classes: Sequence[ImageClass],
    *,
    per_class: int = 4,
    val_per_class: int = 2,
    size: int = 64,
    archive_root: str = "",
) -> Path:
    """Write ``root`` (or ``root/archive_root``) in the official layout; return that folder."""
    base = root / archive_root if archive_root else root
    base.mkdir(parents=True, exist_ok=True)
    (base / "wnids.txt").write_text("".join(f"{c.wnid}\n" for c in classes))
    (base / "words.txt").write_text("".join(f"{c.wnid}\t{c.name}, other name\n" for c in classes))
    annotations: list[str] = []
    val_images = base / "val" / "images"
    val_images.mkdir(parents=True)
    counter = 0
    for label, image_class in enumerate(classes):
        images = base / "train" / image_class.wnid / "images"
        images.mkdir(parents=True)
        boxes = []
        for index in range(per_class):
            name = f"{image_class.wnid}_{index}.JPEG"
            class_image(label, index, size).save(images / name, "JPEG", quality=95)
            boxes.append(f"{name}\t0\t0\t{size - 1}\t{size - 1}\n")
        (base / "train" / image_class.wnid / f"{image_class.wnid}_boxes.txt").write_text(
            "".join(boxes)
        )
        for index in range(val_per_class):
            name = f"val_{counter}.JPEG"
            counter += 1
            class_image(label, 100 + index, size).save(val_images / name, "JPEG", quality=95)
            annotations.append(f"{name}\t{image_class.wnid}\t0\t0\t{size - 1}\t{size - 1}\n")
    (base / "val" / "val_annotations.txt").write_text("".join(annotations))
    return base

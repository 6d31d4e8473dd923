"""Small data-set zips for the model studio's tests: synthetic shapes, one folder per class."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ("circle", "square", "triangle")


def shape_image(shape: str, rng: np.random.Generator, size: int = 32, fmt: str = "PNG") -> bytes:
    """A coloured ``shape`` at a random place and scale on a random plain background."""
    background = tuple(int(v) for v in rng.integers(0, 120, 3))
    colour = tuple(int(v) for v in rng.integers(140, 256, 3))
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    radius = int(rng.integers(size // 5, size // 3))
    cx, cy = (int(v) for v in rng.integers(radius, size - radius, 2))
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon(
            [(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)], fill=colour
        )
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def shapes_zip(
    per_class: int = 20,
    classes: tuple[str, ...] = SHAPES,
    root: str = "",
    seed: int = 0,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """``[root/]<class>/<n>.png`` for each class, plus ``extra`` members as given."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for shape in classes:
            for index in range(per_class):
                fmt = ("PNG", "JPEG", "WEBP", "BMP")[index % 4]
                suffix = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "BMP": "bmp"}[fmt]
                archive.writestr(
                    f"{root}{shape}/{index:03d}.{suffix}", shape_image(shape, rng, fmt=fmt)
                )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` and whose pixels are missing:
    readable up to its size, undecodable beyond (so a decode would fail, a header count not)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"\x00")
        + chunk(b"IEND", b"")
    )


def solid_png(size: int, colour: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    """A plain ``size`` x ``size`` picture: large to decode, small to send (it compresses)."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def same_picture_zip(
    picture: bytes, per_class: int, classes: tuple[str, ...] = ("a", "b")
) -> bytes:
    """``per_class`` copies of one picture in each class folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in classes:
            for index in range(per_class):
                archive.writestr(f"{name}/{index:03d}.png", picture)
    return buffer.getvalue()

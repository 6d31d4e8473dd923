"""Turn any decoded picture into the model's input, the same way for examples and uploads.

One function serves the data loader, the evaluator and (later) the gateway's upload path,
so a student's photo and a training example reach the network through identical steps:
EXIF orientation, RGB, centre crop to a square, resize.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

MODEL_INPUT_SIZE = 64
_HIGH_DEPTH_GRAY = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})


def to_model_pixels(image: Image.Image, size: int = MODEL_INPUT_SIZE) -> np.ndarray:
    """Return a ``size x size x 3`` uint8 array: oriented, RGB, centre-cropped, resized."""
    image = ImageOps.exif_transpose(image)
    if image.mode in _HIGH_DEPTH_GRAY:
        image = _gray16_to_8bit(image)
    if image.mode != "RGB":
        # Palette, grayscale, CMYK, alpha: flatten alpha onto white, then convert.
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, rgba)
        image = image.convert("RGB")
    width, height = image.size
    side = min(width, height)
    left = (width - side) // 2
    top = (height - side) // 2
    if side != width or side != height:
        image = image.crop((left, top, left + side, top + side))
    if side != size:
        image = image.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
    return np.asarray(image, dtype=np.uint8)


def _gray16_to_8bit(image: Image.Image) -> Image.Image:
    """Scale 16-bit grayscale (PNG) to 8 bits, keeping a tRNS colour as transparency.

    Pillow's own ``convert`` clips these values at 255 (so mid-gray turns white) and drops
    the transparent colour, hence the explicit rescale 0..65535 -> 0..255.
    """
    values = np.clip(np.asarray(image), 0, 65535).astype(np.uint32)
    gray = ((values * 255 + 32767) // 65535).astype(np.uint8)
    transparent = image.info.get("transparency")
    if not isinstance(transparent, int):
        return Image.fromarray(gray)
    alpha = np.where(values == transparent, 0, 255).astype(np.uint8)
    return Image.fromarray(np.dstack([gray, alpha]))


def scale_to_unit(pixels: np.ndarray) -> np.ndarray:
    """Scale uint8 pixels to float32 in [0, 1], the model's input convention."""
    return pixels.astype(np.float32) / np.float32(255.0)

"""Every picture reaches the network through the same crop, resize and colour steps."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from services.pipeline.preprocess import scale_to_unit, to_model_pixels


def test_64_pixel_rgb_passes_unchanged() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert np.array_equal(to_model_pixels(Image.fromarray(pixels)), pixels)


def test_wide_image_is_centre_cropped_then_resized() -> None:
    pixels = np.zeros((100, 300, 3), dtype=np.uint8)
    pixels[:, 100:200] = 255  # only the centre square is white
    result = to_model_pixels(Image.fromarray(pixels))
    assert result.shape == (64, 64, 3)
    assert result.min() == 255


def test_grayscale_and_alpha_become_rgb_on_white() -> None:
    gray = to_model_pixels(Image.new("L", (64, 64), 100))
    assert gray.shape == (64, 64, 3) and (gray == 100).all()
    transparent = to_model_pixels(Image.new("RGBA", (64, 64), (0, 0, 0, 0)))
    assert (transparent == 255).all()


def test_exif_orientation_is_honoured() -> None:
    pixels = np.zeros((64, 128, 3), dtype=np.uint8)
    pixels[:, :64] = 255  # white on the left
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    rotated = Image.open(_save_jpeg_with_exif(image, exif.tobytes()))
    result = to_model_pixels(rotated)
    # after rotation the white half is on top: the centre crop keeps both halves' border
    assert result[:16].mean() > 200 and result[-16:].mean() < 50


def _save_jpeg_with_exif(image: Image.Image, exif: bytes) -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)
    buffer.seek(0)
    return buffer


def test_scale_to_unit() -> None:
    scaled = scale_to_unit(np.array([0, 255], dtype=np.uint8))
    assert scaled.dtype == np.float32 and scaled.tolist() == [0.0, 1.0]


def test_16_bit_grayscale_is_rescaled_not_clipped() -> None:
    columns = np.tile(np.array([0, 257, 40000, 65535], dtype=np.uint16), (4, 1))
    image = Image.open(_save_png(Image.fromarray(columns)))
    assert image.mode == "I;16"
    result = to_model_pixels(image, size=4)  # 4x4: no crop, no resize
    assert result[0, :, 0].tolist() == [0, 1, 156, 255]  # 40000 is mid-gray, not white
    assert (result == result[..., :1]).all()


def test_16_bit_transparent_colour_becomes_white() -> None:
    values = np.full((4, 8), 40000, np.uint16)
    values[:, :4] = 7
    image = Image.open(_save_png(Image.fromarray(values), transparency=7))
    result = to_model_pixels(image, size=4)
    assert (result[:, 0] == 255).all() and (result[:, -1] == 156).all()


def _save_png(image: Image.Image, **options: object) -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    buffer.seek(0)
    return buffer

"""Uploads that are refused, each with a code, a status and a message a student can act on.

Headers that lie about their size are refused from the header, before any pixel is decoded.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from PIL import Image, ImageFile, WebPImagePlugin

from tests.gateway.test_images import (
    MB,
    RED,
    assert_valid,
    bmp_by_hand,
    decode,
    encode,
    gif_by_hand,
    png_by_hand,
    rejected,
    solid,
    webp_by_hand,
)

NOT_PICTURES = {
    "random bytes": np.random.default_rng(7).bytes(2000),
    "svg": b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" '
    b'height="64"><circle cx="32" cy="32" r="30" fill="red"/></svg>',
    "text renamed to .png": b"my homework: a ladybug is red with black dots\n",
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    "tiff (not accepted)": encode(solid(RED), "TIFF"),
    "two bytes of a jpeg": b"\xff\xd8",
}


@pytest.mark.parametrize("name", NOT_PICTURES)
def test_not_a_picture_is_unsupported(name: str) -> None:
    error = rejected(NOT_PICTURES[name])
    assert (error.code, error.status) == ("unsupported_format", 415)
    assert "Upload a PNG, JPEG, WebP, BMP or GIF image" in error.message


def test_empty_upload() -> None:
    error = rejected(b"")
    assert (error.code, error.status) == ("empty_file", 400)
    assert "The file is empty" in error.message


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (11 * MB, "The file is 11 MB; the limit is 10 MB."),
        (int(12.3 * MB), "The file is 12.3 MB; the limit is 10 MB."),
        (10 * MB + 2, "The file is 10.1 MB; the limit is 10 MB."),  # never "10 MB"
        (10 * MB + 1, "The file is more than 10 MB, which is the limit."),  # a capped read
    ],
)
def test_too_many_bytes_is_refused_before_looking_inside(size: int, shown: str) -> None:
    error = rejected(b"\x89PNG\r\n\x1a\n".ljust(size, b"\0"))
    assert (error.code, error.status) == ("file_too_large", 413)
    assert shown in error.message


def test_exactly_max_bytes_is_not_too_large() -> None:
    data = encode(solid(RED), "PNG")
    assert_valid(decode(data, max_bytes=len(data)))
    assert rejected(data, max_bytes=len(data) - 1).code == "file_too_large"


SIGNATURE_LENGTH = {"JPEG": 3, "PNG": 8, "GIF": 6, "BMP": 2, "WEBP": 12}


@pytest.mark.parametrize("fmt", SIGNATURE_LENGTH)
def test_truncated_file_is_corrupt(fmt: str) -> None:
    noise = Image.effect_noise((80, 60), 60).convert("RGB")
    data = encode(noise, fmt)
    assert_valid(decode(data))
    shown = {"WEBP": "WebP"}.get(fmt, fmt)
    signature = SIGNATURE_LENGTH[fmt]
    for cut in [signature, signature + 6, 40, len(data) // 2, len(data) - 40]:
        error = rejected(data[:cut])
        assert (error.code, error.status) == ("corrupt_image", 400), cut
        assert f"This {shown} file is damaged or incomplete" in error.message
    # shorter than its signature, a file is no longer recognisable as that format
    assert rejected(data[: signature - 1]).code == "unsupported_format"


def test_png_missing_only_its_end_marker_still_has_every_pixel() -> None:
    data = encode(Image.effect_noise((80, 60), 60), "PNG")
    assert np.array_equal(decode(data[:-12]).pixels, decode(data).pixels)


def test_loading_truncated_images_stays_off() -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize(
    "data",
    [
        png_by_hand(0, 10, b"\0"),
        png_by_hand(10, 0, b"\0"),
        gif_by_hand(0, 5),
        bmp_by_hand(0, 1),
        bmp_by_hand(1, 0),
    ],
)
def test_zero_width_or_height_is_corrupt(data: bytes) -> None:
    error = rejected(data)
    assert (error.code, error.status) == ("corrupt_image", 400)
    assert "damaged or incomplete" in error.message


BOMBS = {
    "png 50,000 x 50,000": png_by_hand(50_000, 50_000, b"\0" * 100),
    "gif 65,535 x 65,535": gif_by_hand(65_535, 65_535),
    "bmp 60,000 x 60,000": bmp_by_hand(60_000, 60_000),
    "webp 16,384 x 16,384": webp_by_hand(16_384, 16_384),
}


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any pixel data is decoded."""

    def load(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixel data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    monkeypatch.setattr(WebPImagePlugin.WebPImageFile, "load", load)  # its own load()


@pytest.mark.usefixtures("no_decoding")
@pytest.mark.parametrize("name", BOMBS)
def test_decompression_bomb_is_refused_from_the_header(name: str) -> None:
    data = BOMBS[name]
    assert len(data) < 1000
    tracemalloc.start()
    try:
        error = rejected(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * MB
    assert (error.code, error.status) == ("too_many_pixels", 413)
    assert "the limit is 40 million pixels" in error.message


@pytest.mark.usefixtures("no_decoding")
@pytest.mark.parametrize(
    "data", [png_by_hand(5000, 5000, b"\0"), gif_by_hand(5000, 5000), bmp_by_hand(5000, 5000)]
)
def test_more_than_max_pixels_names_the_size(data: bytes) -> None:
    error = rejected(data, max_pixels=1_000_000)
    assert (error.code, error.status) == ("too_many_pixels", 413)
    assert "The picture is 5,000 x 5,000 pixels; the limit is 1 million pixels." in error.message


def test_webp_canvas_is_checked_before_pillow_opens_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse_to_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("Image.open was called")

    monkeypatch.setattr(Image, "open", refuse_to_open)
    error = rejected(webp_by_hand(5000, 5000), max_pixels=1_000_000)
    assert error.code == "too_many_pixels"
    assert "5,000 x 5,000" in error.message


def test_pillow_bomb_warning_maps_to_the_same_refusal() -> None:
    """Between Pillow's warning and error thresholds, even a generous caller limit refuses."""
    pillow_limit = Image.MAX_IMAGE_PIXELS
    assert pillow_limit is not None
    side = int(pillow_limit**0.5) + 100  # above Pillow's warning, below its error
    with pytest.warns(Image.DecompressionBombWarning):
        error = rejected(png_by_hand(side, side, b"\0"), max_pixels=10**12)
    assert (error.code, error.status) == ("too_many_pixels", 413)
    assert pillow_limit == Image.MAX_IMAGE_PIXELS  # read, never changed


def test_pixel_limit_is_inclusive() -> None:
    data = encode(solid(RED, size=(100, 50)), "PNG")
    assert_valid(decode(data, max_pixels=5000))
    assert rejected(data, max_pixels=4999).code == "too_many_pixels"

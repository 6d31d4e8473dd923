"""Every upload becomes a 64x64 model input or a refusal a student can act on.

The corpus is built here in memory with Pillow (and, for headers that lie about their
size, by hand), so no picture file is committed. This module holds the pictures that are
accepted and the helpers that build the corpus; the refusals are in test_images_refused.py,
the properties over arbitrary bytes in test_images_property.py.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from services.gateway.images import ImageRejected, NormalisedImage, decode_upload, encode_png
from services.pipeline.preprocess import to_model_pixels

MB = 1024 * 1024
LIMITS = {"max_bytes": 10 * MB, "max_pixels": 40_000_000}
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def decode(data: bytes, **limits: int) -> NormalisedImage:
    return decode_upload(data, **{**LIMITS, **limits})


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def solid(
    colour: tuple[int, ...], mode: str = "RGB", size: tuple[int, int] = (80, 60)
) -> Image.Image:
    return Image.new(mode, size, colour)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_by_hand(
    width: int, height: int, rows: bytes, depth: int = 8, colour_type: int = 2
) -> bytes:
    """A PNG whose IHDR says exactly what the test wants, whatever the pixel data holds."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def gif_by_hand(width: int, height: int) -> bytes:
    """A GIF whose screen and single frame claim ``width x height``; 30-odd bytes."""
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0x80, 0, 0)
        + bytes([0, 0, 0, 255, 255, 255])
        + b","
        + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + b"\x02\x02\x44\x01\x00;"
    )


def bmp_by_hand(width: int, height: int) -> bytes:
    data = bytearray(encode(solid(RED, size=(1, 1)), "BMP"))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def webp_by_hand(width: int, height: int) -> bytes:
    """An extended (VP8X) WebP header claiming a ``width x height`` canvas, nothing else."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


def assert_valid(result: NormalisedImage, size: int = 64) -> None:
    assert result.pixels.shape == (size, size, 3)
    assert result.pixels.dtype == np.uint8
    assert result.digest == hashlib.sha256(result.pixels.tobytes()).hexdigest()


def assert_colour(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: int = 0) -> None:
    difference = np.abs(pixels.astype(int) - np.array(colour)).max()
    assert difference <= tolerance, f"{pixels.reshape(-1, 3)[0]} is not {colour}"


def rejected(data: bytes, **limits: int) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        decode(data, **limits)
    return caught.value


# --- accepted pictures -----------------------------------------------------------------


def animated(fmt: str) -> bytes:
    frames = [solid(RED), solid(BLUE), solid(GREEN)]
    options: dict[str, object] = {"lossless": True} if fmt == "WEBP" else {}
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, **options)


ACCEPTED: dict[str, tuple[Callable[[], bytes], str, tuple[int, int, int], int]] = {
    # name: (build the file, Pillow's format, colour expected everywhere, tolerance)
    "png": (lambda: encode(solid(RED), "PNG"), "PNG", RED, 0),
    "jpeg": (lambda: encode(solid(RED), "JPEG", quality=95), "JPEG", RED, 3),
    "webp lossless": (lambda: encode(solid(RED), "WEBP", lossless=True), "WEBP", RED, 0),
    "webp lossy": (lambda: encode(solid(RED), "WEBP", quality=90), "WEBP", RED, 8),
    "bmp": (lambda: encode(solid(RED), "BMP"), "BMP", RED, 0),
    "gif": (lambda: encode(solid(RED), "GIF"), "GIF", RED, 0),
    "animated gif: first frame": (lambda: animated("GIF"), "GIF", RED, 0),
    "animated webp: first frame": (lambda: animated("WEBP"), "WEBP", RED, 0),
    "animated png: first frame": (lambda: animated("PNG"), "PNG", RED, 0),
    "camera mpo (jpeg + preview)": (
        lambda: encode(solid(RED), "MPO", save_all=True, append_images=[solid(BLUE)]),
        "MPO",
        RED,
        3,
    ),
    "grayscale": (lambda: encode(solid((100,), "L"), "PNG"), "PNG", (100, 100, 100), 0),
    "1-bit": (lambda: encode(solid((1,), "1"), "BMP"), "BMP", WHITE, 0),
    "rgba half transparent on white": (
        lambda: encode(solid((255, 0, 0, 128), "RGBA"), "PNG"),
        "PNG",
        (255, 127, 127),
        1,
    ),
    "fully transparent webp": (
        lambda: encode(solid((0, 0, 0, 0), "RGBA"), "WEBP", lossless=True),
        "WEBP",
        WHITE,
        0,
    ),
    "cmyk jpeg red": (lambda: encode(solid((0, 255, 255, 0), "CMYK"), "JPEG"), "JPEG", RED, 8),
    "cmyk jpeg cyan": (
        lambda: encode(solid((255, 0, 0, 0), "CMYK"), "JPEG"),
        "JPEG",
        (0, 255, 255),
        8,
    ),
    "cmyk jpeg black": (lambda: encode(solid((0, 0, 0, 255), "CMYK"), "JPEG"), "JPEG", (0,) * 3, 8),
    "16-bit gray png": (
        lambda: encode(Image.fromarray(np.full((60, 80), 40000, np.uint16)), "PNG"),
        "PNG",
        (156, 156, 156),  # 40000 / 65535 * 255, not clipped to white
        0,
    ),
    "16-bit rgb png": (
        lambda: png_by_hand(3, 2, (b"\0" + bytes.fromhex("ffff8000 0000") * 3) * 2, depth=16),
        "PNG",
        (255, 128, 0),
        0,
    ),
    "1x1": (lambda: encode(solid(BLUE, size=(1, 1)), "PNG"), "PNG", BLUE, 0),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_picture_becomes_model_input(name: str) -> None:
    build, fmt, colour, tolerance = ACCEPTED[name]
    data = build()
    result = decode(data)
    assert_valid(result)
    assert result.source_format == fmt
    assert_colour(result.pixels, colour, tolerance)
    assert decode(data).digest == result.digest  # same bytes, same content address
    assert not result.pixels.flags.writeable


def test_source_size_is_the_stored_size() -> None:
    assert decode(encode(solid(RED, size=(80, 60)), "PNG")).source_size == (80, 60)


def test_palette_with_transparent_index_lands_on_white() -> None:
    image = Image.new("P", (64, 64), 0)
    image.putpalette([0, 0, 0, *GREEN])
    image.paste(1, (32, 0, 64, 64))  # right half index 1 (green), left half index 0
    result = decode(encode(image, "PNG", transparency=0)).pixels
    assert_colour(result[:, :28], WHITE)
    assert_colour(result[:, 36:], GREEN)


def test_16_bit_transparent_colour_lands_on_white() -> None:
    values = np.full((64, 64), 40000, np.uint16)
    values[:, :32] = 1234
    result = decode(encode(Image.fromarray(values), "PNG", transparency=1234)).pixels
    assert_colour(result[:, :28], WHITE)
    assert_colour(result[:, 36:], (156, 156, 156))


def test_wide_panorama_keeps_its_centre_square() -> None:
    image = solid(RED, size=(1000, 100))
    image.paste(GREEN, (450, 0, 550, 100))  # only the centre 100x100 is green
    result = decode(encode(image, "PNG"))
    assert result.source_size == (1000, 100)
    assert_colour(result.pixels, GREEN)


@pytest.mark.parametrize(
    ("orientation", "red_side"), [(1, "top"), (6, "right"), (8, "left"), (3, "bottom")]
)
def test_exif_orientation_is_honoured(orientation: int, red_side: str) -> None:
    # Stored: red top half, blue bottom half. Orientation 6 means "rotate 90 degrees
    # clockwise to display", so the stored top ends up on the right; 8 is the other way.
    image = solid(BLUE, size=(64, 64))
    image.paste(RED, (0, 0, 64, 32))
    exif = image.getexif()
    exif[0x0112] = orientation
    pixels = decode(encode(image, "JPEG", quality=95, exif=exif.tobytes())).pixels
    halves = {
        "top": (pixels[:24], pixels[40:]),
        "bottom": (pixels[40:], pixels[:24]),
        "left": (pixels[:, :24], pixels[:, 40:]),
        "right": (pixels[:, 40:], pixels[:, :24]),
    }
    red, blue = halves[red_side]
    assert_colour(red, RED, 12)
    assert_colour(blue, BLUE, 12)


def test_size_parameter_sets_the_output_side() -> None:
    assert_valid(decode(encode(solid(RED), "PNG"), size=32), size=32)


def test_encode_png_is_deterministic_and_round_trips() -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode_png(pixels)
    assert data == encode_png(pixels.copy())
    result = decode(data)
    assert np.array_equal(result.pixels, pixels)  # 64x64 passes through unchanged
    assert decode(encode_png(result.pixels)).digest == result.digest


def test_encode_png_refuses_non_rgb_arrays() -> None:
    with pytest.raises(ValueError, match="H x W x 3 uint8"):
        encode_png(np.zeros((64, 64), np.uint8))
    with pytest.raises(ValueError, match="H x W x 3 uint8"):
        encode_png(np.zeros((64, 64, 3), np.float32))


def test_large_jpeg_is_decoded_at_reduced_scale_without_losing_the_picture(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scales: list[tuple[int, int]] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def recording_draft(
        self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None
    ) -> object:
        result = original_draft(self, mode, size)
        scales.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", recording_draft)
    rows, cols = np.mgrid[0:1800, 0:2400]
    smooth = np.stack([rows % 256, cols % 256, (rows + cols) % 256], axis=-1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(smooth).save(buffer, "JPEG", quality=95)
    data = buffer.getvalue()
    fast = decode_upload(data, max_bytes=20 * 1024 * 1024, max_pixels=50_000_000)
    with Image.open(io.BytesIO(data)) as full:
        full.load()
        reference = to_model_pixels(full)
    difference = np.abs(fast.pixels.astype(int) - reference.astype(int))
    assert difference.mean() < 4
    assert scales[0] == (600, 450)  # decoded at 1/4 scale: short side 450 >= 4 x 64

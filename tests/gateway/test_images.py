"""Every upload becomes a 64x64 model input or a refusal a student can act on.

The corpus is built here in memory with Pillow (and, for headers that lie about their
size, by hand), so no picture file is committed.
"""

from __future__ import annotations

import hashlib
import io
import struct
import tracemalloc
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, JpegImagePlugin, WebPImagePlugin

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


# --- refused uploads --------------------------------------------------------------------

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


# --- property: a valid result or ImageRejected, nothing else ----------------------------

SIGNATURES = [
    b"",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF89a",
    b"BM",
    b"RIFF\0\0\0\0WEBPVP8 ",
    b"RIFF\0\0\0\0WEBPVP8L",
    b"RIFF\0\0\0\0WEBPVP8X",
]


def seed_corpus() -> list[bytes]:
    noise = Image.effect_noise((12, 9), 60).convert("RGB")
    exif = noise.getexif()
    exif[0x0112] = 6
    return [
        encode(noise, "PNG"),
        encode(noise.convert("P"), "PNG", transparency=3),
        encode(noise, "JPEG", exif=exif.tobytes()),
        encode(noise.convert("CMYK"), "JPEG"),
        encode(noise, "JPEG", progressive=True),
        encode(noise, "WEBP"),
        encode(noise, "WEBP", lossless=True),
        encode(noise, "BMP"),
        encode(noise, "GIF", save_all=True, append_images=[noise.rotate(90)]),
        encode(Image.fromarray(np.full((9, 12), 40000, np.uint16)), "PNG"),
    ]


CORPUS = seed_corpus()
# Damaged input makes Pillow warn (corrupt EXIF, bomb-sized headers) before refusing it.
quiet_pillow = pytest.mark.filterwarnings(
    "ignore:Corrupt EXIF data:UserWarning", "ignore::PIL.Image.DecompressionBombWarning"
)
PROPERTY = settings(
    max_examples=300,
    deadline=None,  # a shared CI machine: no timing assertions
    database=None,  # keep .hypothesis/ out of the repository
    suppress_health_check=[HealthCheck.too_slow],
)


def assert_valid_or_rejected(data: bytes) -> None:
    try:
        result = decode_upload(data, max_bytes=64 * 1024, max_pixels=1_000_000)
    except ImageRejected as error:
        assert error.status in (400, 413, 415)
        assert error.message
    else:
        assert_valid(result)


@quiet_pillow
@PROPERTY
@given(prefix=st.sampled_from(SIGNATURES), rest=st.binary(max_size=2048))
def test_arbitrary_bytes_never_escape_as_other_errors(prefix: bytes, rest: bytes) -> None:
    assert_valid_or_rejected(prefix + rest)


@quiet_pillow
@PROPERTY
@given(
    original=st.sampled_from(CORPUS),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["set", "insert", "delete", "cut"]), st.floats(0, 1), st.binary()
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_pictures_never_escape_as_other_errors(
    original: bytes, edits: list[tuple[str, float, bytes]]
) -> None:
    data = bytearray(original)
    for action, where, payload in edits:
        at = int(where * len(data))
        if action == "set":
            data[at : at + len(payload)] = payload
        elif action == "insert":
            data[at:at] = payload
        elif action == "delete":
            del data[at : at + len(payload) + 1]
        else:
            del data[at:]
    assert_valid_or_rejected(bytes(data))


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

"""Turn an uploaded file into the model's 64x64 input, or refuse it with a student-friendly reason.

This is the gateway's only door for pictures from the browser. It bounds the work an upload
can cause (bytes first, then the pixel count read from the header, only then decoding) and
hands the decoded picture to ``services.pipeline.preprocess.to_model_pixels``, the same
steps every training and example image goes through. No FastAPI here: the route maps
``ImageRejected.status`` and ``.message`` to its response.

| code                 | status | when                                                        |
|----------------------|--------|-------------------------------------------------------------|
| empty_file           | 400    | zero bytes                                                  |
| file_too_large       | 413    | more than ``max_bytes`` bytes                               |
| unsupported_format   | 415    | content is not PNG, JPEG, WebP, BMP or GIF (SVG, PDF, text) |
| too_many_pixels      | 413    | the header claims more than ``max_pixels`` pixels           |
| too_large_to_decode  | 413    | decoding it would take more than ``max_decode_bytes``       |
| corrupt_image        | 400    | a supported format, but truncated, damaged or 0 pixels wide |

Truncated files stay refused: ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never set here.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

from services.pipeline.preprocess import MODEL_INPUT_SIZE, to_model_pixels
from services.pipeline.preprocess import _gray16_to_8bit as gray16_to_8bit

ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")
_FORMAT_LIST = "PNG, JPEG, WebP, BMP or GIF"
_SHOWN_NAMES = {"WEBP": "WebP"}
_MB = 1024 * 1024

# Magic numbers of the allowed formats, only to tell "damaged PNG" from "not a picture";
# Pillow still decides what the content is.
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
}

# Pillow raises these (besides OSError) from its parsers on hostile or damaged input.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)

RejectionCode = Literal[
    "empty_file",
    "file_too_large",
    "unsupported_format",
    "too_many_pixels",
    "too_large_to_decode",
    "corrupt_image",
]

# Bytes a pixel of each mode takes in Pillow's memory: RGB, LA, PA, CMYK and the like are
# stored in one 32-bit word a pixel, whatever their number of bands.
_STORED_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
_DEFAULT_STORED_BYTES = 4
_HIGH_DEPTH_GRAY = ("I", "I;16", "I;16L", "I;16B", "I;16N")
# What the codecs hold besides the decoded image, in bytes a pixel (measured, Pillow 13):
# libwebp's decoder keeps two RGBA canvases and Pillow copies the frame once more before
# decoding it into the image; Pillow's RLE BMP decoder builds the picture in a bytearray
# and copies it to bytes first (growing the bytearray overshoots).
_WEBP_CODEC_BYTES = 12
_BMP_RLE_CODEC_BYTES = 4
# A picture of at most this many pixels that needs no shrinking is prepared as it is
# (``to_model_pixels``: orientation, RGBA, flattening, RGB copies, about 20 bytes a pixel);
# a larger one is cropped, converted and reduced a band of at most _BAND_PIXELS at a time.
_DIRECT_PIXELS = 1024 * 1024
_BAND_PIXELS = 256 * 1024
# The preparation's memory on top of the decoded image, either way (measured <= 21 MB).
WORKING_BYTES = 24 * _MB


def decode_cost(mode: str, image_size: tuple[int, int], *, codec_bytes_per_pixel: int = 0) -> int:
    """Bytes decoding a ``mode`` picture of ``image_size`` takes at its peak: the decoded
    image as Pillow stores it, what its codec holds meanwhile, and the preparation's
    working set (:func:`_shrink_early` never copies the full-size picture)."""
    pixels = image_size[0] * image_size[1]
    stored = _STORED_BYTES.get(mode, _DEFAULT_STORED_BYTES)
    return pixels * (stored + codec_bytes_per_pixel) + WORKING_BYTES


def _shrink_early(image: Image.Image, size: int) -> Image.Image:
    """The centre square of a large picture, converted to 8-bit RGB(A) (L(A) for 16-bit
    gray) and reduced by an integer factor (box filter) to a short side of at least 4x the
    model input, a band at a time. Done on the whole picture (as before) its orientation,
    alpha flattening and conversions copied it four times (19 bytes a pixel for RGBA, 20
    for a 30000 x 300 strip), and even ``Image.reduce`` copies an RGBA picture once. The
    result is what ``to_model_pixels`` gives the full picture, up to rounding (the final
    resize looks at 3x its output anyway, ``reducing_gap``)."""
    width, height = image.size
    side = min(width, height)
    factor = max(1, side // (4 * size))
    if factor < 2 and width * height <= _DIRECT_PIXELS:
        return image
    left, top = (width - side) // 2, (height - side) // 2
    transparency = image.info.get("transparency")
    if image.mode in _HIGH_DEPTH_GRAY:
        mode = "LA" if isinstance(transparency, int) else "L"
    elif image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or transparency is not None:
        mode = "RGBA"
    else:
        mode = "RGB"
    reduced = Image.new(mode, (-(-side // factor),) * 2)
    rows = max(1, _BAND_PIXELS // side // factor) * factor
    for y in range(0, side, rows):
        band = image.crop((left, top + y, left + side, top + min(side, y + rows)))
        band = gray16_to_8bit(band) if image.mode in _HIGH_DEPTH_GRAY else band.convert(mode)
        reduced.paste(band.reduce(factor) if factor > 1 else band, (0, y // factor))
    reduced.info = {key: value for key, value in image.info.items() if key != "transparency"}
    return reduced


def _jpeg_scans_buffered(data: bytes, components: int) -> bool:
    """Whether libjpeg keeps every coefficient of this JPEG (2 bytes a sample, at full
    size whatever the DCT scaling): a progressive JPEG, or one whose first scan holds
    fewer components than the frame. Read from the markers before the first scan; a
    header too damaged to say counts as buffered."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return True
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:  # start of scan: its component count
            return position + 4 >= len(data) or data[position + 4] < components
        if marker in (0xC2, 0xC6, 0xCA, 0xCE):  # progressive frames
            return True
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return True


def _jpeg_coefficient_bytes(image: Image.Image, header_size: tuple[int, int]) -> int:
    """The bytes of a multi-scan JPEG's coefficient buffer: 2 bytes per sample of each
    component at its sampling, the picture padded to whole 8 x 8 blocks."""
    layers: list[tuple[int, int, int, int]] = getattr(image, "layer", [])
    if not layers:
        return 0
    h_max = max(layer[1] for layer in layers) or 1
    v_max = max(layer[2] for layer in layers) or 1
    width, height = header_size
    total = 0
    for _, h, v, _ in layers:
        blocks_wide = -(-width * h // (8 * h_max))
        blocks_high = -(-height * v // (8 * v_max))
        total += 2 * 64 * blocks_wide * blocks_high
    return total


class ImageRejected(Exception):  # noqa: N818 (the name the gateway contract uses)
    """An upload the gateway refuses: ``code`` for programs (table above), ``message`` for
    the student (what went wrong and what to do), ``status`` for the HTTP response."""

    def __init__(self, code: RejectionCode, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class NormalisedImage:
    """The model input an upload became, addressed by the SHA-256 of its pixels."""

    pixels: np.ndarray  # size x size x 3 uint8, read-only
    digest: str
    source_format: str  # Pillow's name, e.g. "PNG", "JPEG", "WEBP" ("MPO" for camera JPEGs)
    source_size: tuple[int, int]  # width, height as stored, before EXIF rotation
    decoded_bytes: int = 0  # the decode's peak memory (decode_cost), for the decode pool


def decode_upload(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    max_decode_bytes: int = 96 * _MB,
    size: int = MODEL_INPUT_SIZE,
) -> NormalisedImage:
    """Decode, orient, crop and resize an upload; raise ``ImageRejected`` if it can't be used.

    Animated images contribute their first frame (a GIF's screen grows to hold it when
    its header is read, so its size is checked too). Pillow's decompression-bomb limit
    (``Image.MAX_IMAGE_PIXELS``, read, never changed) lowers ``max_pixels`` if smaller, so
    its warning and error map to the same ``too_many_pixels`` refusal. The pixel count
    alone does not bound memory (a 1.5 KB lossless WebP of 16383 x 2400 RGBA pixels took
    450 MB; a 1 KB progressive JPEG claiming 4096 x 4096 CMYK pixels makes libjpeg
    allocate 128 MB): from the header's mode and size, after a JPEG's reduced-scale
    decoding is set up, the decoded image, its codec's buffers and the preparation's
    working set (:func:`decode_cost`) must stay within ``max_decode_bytes`` before anything
    is decoded. ``decoded_bytes`` of the result is that promise; tests measure it per format.
    """
    if not data:
        raise ImageRejected(
            "empty_file",
            "The file is empty (0 bytes), so there is no picture in it. "
            "Choose a picture file and upload it again.",
            400,
        )
    if len(data) > max_bytes:
        limit_mb = _one_decimal(max_bytes / _MB, math.floor)
        shown = (  # a caller that bounds its read at max_bytes + 1 doesn't know the real size
            f"more than {limit_mb} MB, which is the limit"
            if len(data) == max_bytes + 1
            else f"{_one_decimal(len(data) / _MB, math.ceil)} MB; the limit is {limit_mb} MB"
        )
        raise ImageRejected(
            "file_too_large",
            f"The file is {shown}. Choose a smaller picture, or make this one smaller "
            "(for example, take a screenshot of it) and upload that.",
            413,
        )
    claimed = _sniff(data)
    if claimed is None:
        raise ImageRejected(
            "unsupported_format",
            f"This file is not a picture we can read. Upload a {_FORMAT_LIST} image "
            "(for example, open it and save or export it as PNG or JPEG).",
            415,
        )
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    if claimed == "WEBP":  # libwebp allocates its canvases inside Image.open
        canvas = _webp_canvas_size(data)
        _check_pixels(canvas, limit)
        _check_decode_cost("RGBA", canvas, max_decode_bytes, _WEBP_CODEC_BYTES)
    try:
        with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as image:
            _check_pixels(image.size, limit)
            decoded_bytes = _checked_cost(image, data, size, max_decode_bytes)
            image.load()
            source_format = image.format or claimed
            source_size = image.size
            pixels = to_model_pixels(_shrink_early(image, size), size)
    except Image.DecompressionBombError as error:
        raise _too_many_pixels(None, limit) from error
    except _DECODE_ERRORS as error:  # includes UnidentifiedImageError and truncation
        raise ImageRejected(
            "corrupt_image",
            f"This {_SHOWN_NAMES.get(claimed, claimed)} file is damaged or incomplete, "
            "so we can't read the picture in it. Upload it again; if that doesn't help, open "
            "it in another program and save it again as PNG or JPEG.",
            400,
        ) from error
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    pixels.setflags(write=False)  # the digest must keep describing these pixels
    return NormalisedImage(
        pixels=pixels,
        digest=hashlib.sha256(pixels.tobytes()).hexdigest(),
        source_format=source_format,
        source_size=source_size,
        decoded_bytes=decoded_bytes,
    )


def encode_png(pixels: np.ndarray) -> bytes:
    """Encode H x W x 3 uint8 pixels as PNG; same pixels, same bytes (no timestamps)."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"expected H x W x 3 uint8 pixels, got {pixels.shape} {pixels.dtype}")
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()


def _sniff(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((name for magic, name in _SIGNATURES.items() if data.startswith(magic)), None)


def _webp_canvas_size(data: bytes) -> tuple[int, int]:
    """Width and height from a WebP header (RFC 9649), (0, 0) when it is too short to say."""
    kind, header = data[12:16], data[:30].ljust(30, b"\0")
    if kind == b"VP8X":  # extended: 24-bit canvas width - 1, height - 1
        return _uint(header[24:27]) + 1, _uint(header[27:30]) + 1
    if kind == b"VP8L":  # lossless: 14-bit width - 1, height - 1 after the 0x2F signature
        bits = _uint(header[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8 ":  # lossy: 14-bit width, height after the key-frame start code
        return _uint(header[26:28]) & 0x3FFF, _uint(header[28:30]) & 0x3FFF
    return 0, 0


def _uint(little_endian: bytes) -> int:
    return int.from_bytes(little_endian, "little")


def _check_pixels(image_size: tuple[int, int], limit: int) -> None:
    if image_size[0] * image_size[1] > limit:
        raise _too_many_pixels(image_size, limit)


def _checked_cost(image: Image.Image, data: bytes, size: int, limit: int) -> int:
    """The memory decoding ``image`` will take, refused (413) over ``limit``; a JPEG is set
    up first to decode at 1/2 .. 1/8 scale (DCT scaling), its short side kept >= 4x the
    model input: a 12-megapixel photo then takes a few MB instead of ~80, just as sharp."""
    header_size = image.size
    codec_bytes = 0
    if image.format in ("JPEG", "MPO"):
        image.draft(image.mode, (4 * size, 4 * size))
        if _jpeg_scans_buffered(data, len(getattr(image, "layer", [])) or 1):
            codec_bytes = _jpeg_coefficient_bytes(image, header_size)
    elif image.format == "WEBP":
        codec_bytes = _WEBP_CODEC_BYTES * image.size[0] * image.size[1]
    elif image.format == "BMP" and image.info.get("compression") in (1, 2):  # RLE8, RLE4
        codec_bytes = _BMP_RLE_CODEC_BYTES * image.size[0] * image.size[1]
    cost = decode_cost(image.mode, image.size) + codec_bytes
    if cost > limit:
        raise _too_large_to_decode(image.mode, header_size, cost, limit)
    return cost


def _check_decode_cost(
    mode: str, image_size: tuple[int, int], limit: int, codec_bytes_per_pixel: int = 0
) -> None:
    cost = decode_cost(mode, image_size, codec_bytes_per_pixel=codec_bytes_per_pixel)
    if cost > limit:
        raise _too_large_to_decode(mode, image_size, cost, limit)


def _too_large_to_decode(
    mode: str, image_size: tuple[int, int], cost: int, limit: int
) -> ImageRejected:
    return ImageRejected(
        "too_large_to_decode",
        f"The picture is {image_size[0]:,} x {image_size[1]:,} pixels ({mode}): reading it "
        f"would take {math.ceil(cost / _MB)} MB of memory, and the limit is "
        f"{limit // _MB} MB. Make it smaller (for example, take a screenshot of it or save "
        "it as JPEG) and upload it again.",
        413,
    )


def _too_many_pixels(image_size: tuple[int, int] | None, limit: int) -> ImageRejected:
    limit_text = (
        f"{_one_decimal(limit / 1e6, math.floor)} million" if limit >= 10**6 else f"{limit:,}"
    )
    what = (
        f"is {image_size[0]:,} x {image_size[1]:,} pixels" if image_size else "has too many pixels"
    )
    return ImageRejected(
        "too_many_pixels",
        f"The picture {what}; the limit is {limit_text} pixels. Make it smaller (for example, "
        "take a screenshot of it or resize it) and upload it again.",
        413,
    )


def _one_decimal(value: float, rounding: Callable[[float], int]) -> str:
    """Round to one decimal the given way, so a 10.04 MB file never reads "10 MB"."""
    return f"{rounding(value * 10) / 10:.1f}".removesuffix(".0")

"""A corpus of bad pictures, uploaded through the gateway process over HTTP.

Each file is either processed correctly (its digest is that of the picture a person sees)
or refused with a 4xx, a code and a message a student can act on. The gateway's peak
memory (``VmHWM``) stays bounded while it reads them all, and it still answers afterwards,
so no upload hung or exhausted it. The decoder's own unit tests are in
tests/gateway/test_images.py; this is the same door, seen from the browser.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from services.pipeline.preprocess import to_model_pixels
from tests.gateway.test_images import encode, gif_by_hand, png_by_hand, solid, webp_by_hand
from tests.reliability.platform import ProcessPlatform

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)
# The platform's limits (tests/reliability/platform.py): 2 MB, 4 million pixels.
MAX_PIXELS = 4_000_000
MEMORY_BOUND_BYTES = 200 * 1024 * 1024


def digest_of(image: Image.Image) -> str:
    return hashlib.sha256(to_model_pixels(image).tobytes()).hexdigest()


def photo(size: tuple[int, int] = (120, 80)) -> Image.Image:
    """A picture whose halves differ, so a rotation changes its model input."""
    pixels = np.zeros((size[1], size[0], 3), np.uint8)
    pixels[:, : size[0] // 2] = RED
    pixels[:, size[0] // 2 :] = BLUE
    pixels[: size[1] // 3, :, 1] = 200
    return Image.fromarray(pixels)


def exif_rotated() -> bytes:
    """A JPEG stored sideways with EXIF orientation 6 (rotate 90 degrees clockwise)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(photo(), "JPEG", quality=95, exif=exif.tobytes())


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose start-of-frame says ``width x height``."""
    data = bytearray(encode(solid(RED, size=(16, 16)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def cmyk_jpeg() -> bytes:
    return encode(solid((0, 255, 255, 0), "CMYK"), "JPEG")


def animated_gif() -> bytes:
    frames = [solid(RED), solid(BLUE), solid(GREEN)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def sixteen_bit_rgb() -> bytes:
    rows = (b"\0" + bytes.fromhex("ffff8000 0000") * 3) * 2
    return png_by_hand(3, 2, rows, depth=16)


def zero_png(width: int, height: int) -> bytes:
    """A black grayscale PNG: a few kilobytes however large it claims to be."""
    return png_by_hand(width, height, (b"\0" + b"\0" * width) * height, colour_type=0)


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
SVG += b'<rect width="64" height="64" fill="red"/></svg>'


@dataclass(frozen=True)
class Case:
    build: Callable[[], bytes]
    status: int
    code: str | None = None  # the error code of a refusal
    says: str = ""  # words the student reads in the refusal
    # For an accepted picture: the picture a person sees in the file.
    seen: Callable[[bytes], Image.Image] | None = None


def _opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def _upright(_: bytes) -> Image.Image:
    return photo().transpose(Image.Transpose.ROTATE_270)


CORPUS: dict[str, Case] = {
    "zero bytes": Case(lambda: b"", 400, "empty_file", "The file is empty"),
    "truncated jpeg": Case(
        lambda: truncated(encode(photo((400, 300)), "JPEG")), 400, "corrupt_image", "damaged"
    ),
    "truncated png": Case(
        lambda: truncated(encode(photo((400, 300)), "PNG")), 400, "corrupt_image", "damaged"
    ),
    "png header claiming 50,000 x 50,000": Case(
        lambda: png_by_hand(50_000, 50_000, b"\0" * 16),
        413,
        "too_many_pixels",
        "the limit is 4 million pixels",
    ),
    "jpeg header claiming 65,000 x 65,000": Case(
        lambda: jpeg_claiming(65_000, 65_000), 413, "too_many_pixels", "too many pixels"
    ),
    "gif screen of 65,535 x 65,535 in 40 bytes": Case(
        lambda: gif_by_hand(65_535, 65_535), 413, "too_many_pixels", "too many pixels"
    ),
    "webp canvas of 16,000 x 16,000": Case(
        lambda: webp_by_hand(16_000, 16_000), 413, "too_many_pixels", "16,000 x 16,000"
    ),
    "3,000 x 3,000 png of a few kilobytes": Case(
        lambda: zero_png(3000, 3000), 413, "too_many_pixels", "3,000 x 3,000"
    ),
    "1,999 x 1,999 png of a few kilobytes (under the limit)": Case(
        lambda: zero_png(1999, 1999), 200, seen=_opened
    ),
    "animated gif": Case(animated_gif, 200, seen=lambda _: solid(RED)),
    "cmyk jpeg": Case(cmyk_jpeg, 200, seen=_opened),
    "16-bit grayscale png": Case(
        lambda: encode(Image.fromarray(np.full((60, 80), 40000, np.uint16)), "PNG"),
        200,
        seen=_opened,
    ),
    "16-bit rgb png": Case(sixteen_bit_rgb, 200, seen=lambda _: solid((255, 128, 0), size=(3, 2))),
    "grayscale png": Case(lambda: encode(solid((100,), "L"), "PNG"), 200, seen=_opened),
    "grayscale + alpha png": Case(
        lambda: encode(solid((0, 0), "LA"), "PNG"), 200, seen=lambda _: solid((255, 255, 255))
    ),
    "rgba png, transparent": Case(
        lambda: encode(solid((255, 0, 0, 0), "RGBA"), "PNG"),
        200,
        seen=lambda _: solid((255, 255, 255)),
    ),
    "exif-rotated jpeg": Case(exif_rotated, 200, seen=_opened),
    "svg renamed .png": Case(lambda: SVG, 415, "unsupported_format", "not a picture we can read"),
    "text renamed .png": Case(
        lambda: b"hello, this is not a picture\n" * 20,
        415,
        "unsupported_format",
        "not a picture we can read",
    ),
    "html renamed .png": Case(
        lambda: b"<html><script>alert(1)</script></html>", 415, "unsupported_format", "PNG"
    ),
    "png signature then garbage": Case(
        lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, 400, "corrupt_image", "damaged"
    ),
    "more than 2 MB": Case(
        lambda: b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024 + 10),
        413,
        "file_too_large",
        "more than 2 MB",
    ),
}


def upload(client: httpx.Client, data: bytes) -> httpx.Response:
    return client.post("/api/activations", files={"file": ("picture.png", data, "image/png")})


def peak_rss(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def client(platform: ProcessPlatform) -> httpx.Client:
    return httpx.Client(base_url=platform.gateway_url, timeout=30)


def test_warm_up_sets_the_memory_baseline(client: httpx.Client) -> None:
    """One good upload first, so the baseline includes what any first request allocates."""
    response = upload(client, encode(photo(), "PNG"))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("name", CORPUS)
def test_each_bad_picture_is_processed_or_refused_clearly(
    name: str, client: httpx.Client, platform: ProcessPlatform
) -> None:
    case = CORPUS[name]
    data = case.build()
    response = upload(client, data)
    assert response.status_code == case.status, response.text
    if case.status == 200:
        assert case.seen is not None
        assert response.headers["x-image-digest"] == digest_of(case.seen(data))
        assert response.headers["content-type"].startswith("application/x-protobuf")
        return
    error = response.json()["error"]
    assert error["code"] == case.code
    assert case.says in error["message"], error["message"]
    assert "Traceback" not in response.text and "PIL" not in response.text


def test_exif_rotation_changes_what_the_model_sees() -> None:
    """The EXIF case above is not vacuous: the input the gateway digests is the upright
    picture (up to JPEG noise), far from the picture as stored sideways."""
    data = exif_rotated()
    seen = to_model_pixels(_opened(data)).astype(int)
    upright = to_model_pixels(_upright(data)).astype(int)
    sideways = to_model_pixels(photo()).astype(int)
    assert np.abs(seen - upright).mean() < 8
    assert np.abs(seen - sideways).mean() > 40


def test_the_whole_corpus_at_once_keeps_memory_bounded_and_nothing_hangs(
    client: httpx.Client, platform: ProcessPlatform
) -> None:
    """Every file three times, concurrently; the gateway's peak memory grows < 200 MB
    (decoding the 50,000 x 50,000 header alone would take 7.5 GB) and it answers after."""
    pid = platform.pid("gateway")
    before = peak_rss(pid)
    corpus = [(name, case.build()) for name, case in CORPUS.items()] * 3

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=60) as session:
            return await asyncio.gather(
                *(
                    session.post(
                        "/api/activations", files={"file": ("picture.png", data, "image/png")}
                    )
                    for _, data in corpus
                )
            )

    responses = asyncio.run(send_all())
    statuses = [response.status_code for response in responses]
    assert statuses == [CORPUS[name].status for name, _ in corpus]
    growth = peak_rss(pid) - before
    print(f"gateway peak RSS {before / 2**20:.0f} MB, grew {growth / 2**20:.1f} MB")
    assert growth < MEMORY_BOUND_BYTES
    assert client.get("/health/live").status_code == 200
    assert upload(client, encode(photo(), "PNG")).status_code == 200

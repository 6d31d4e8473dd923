"""Property: whatever the bytes, an upload becomes a valid model input or ``ImageRejected``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from services.gateway.images import ImageRejected, decode_upload
from tests.gateway.test_images import assert_valid, encode

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

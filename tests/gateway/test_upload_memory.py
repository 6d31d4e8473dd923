"""Small files that would decode into hundreds of megabytes are refused from their headers.

Measured against the gateway (all within its byte and pixel limits): a 1.5 KB lossless
WebP of 16383x2400 added 450 MB, a 150 KB RGBA PNG of 6000x6000 388 MB, a 301 KB RLE BMP
212 MB; six such uploads at once took it from 0.8 to 4.2 GB and left 3.56 GB resident.
So every accepted picture must decode within the memory its header promises
(``decoded_bytes``, measured here per format), and the gateway refuses the rest with 413.
The gateway tests run the real app under uvicorn in this process (so its resident memory
is this process's) in front of a stand-in activation service.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import gc
import io
import json
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent import futures
from pathlib import Path

import grpc
import httpx
import numpy as np
import pytest
from cnn101.v1 import activations_pb2
from PIL import Image

from services.common.body_limit import BodyLimit, BodySizeLimit
from services.common.errors import ApiError
from services.gateway.app import create_app
from services.gateway.decode_pool import DecodePool
from services.gateway.images import ImageRejected, NormalisedImage, decode_cost, decode_upload
from services.gateway.settings import GatewaySettings
from services.pipeline.preprocess import to_model_pixels
from tests.serving.stack import GatewayThread, RedisProcess, free_port

MB = 1024 * 1024
LIMITS = {"max_bytes": 10 * MB, "max_pixels": 4096 * 4096}
GI = 1024 * MB


# --- hostile and large files, built in memory ------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def rgba_png(width: int, height: int) -> bytes:
    """A blank RGBA PNG: a few hundred KB whatever its size (rows of zeros deflate well)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    row = b"\0" + b"\0" * (4 * width)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def lossless_webp(width: int, height: int) -> bytes:
    """A WebP whose lossless header claims ``width`` x ``height`` (VP8L, RFC 9649)."""
    bits = (width - 1) | ((height - 1) << 14) | (1 << 28)  # alpha used
    payload = b"\x2f" + struct.pack("<I", bits) + b"\0" * 16
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


@functools.cache
def blank_webp(width: int, height: int) -> bytes:
    """A real lossless WebP of transparent pixels: 34 bytes for 4096 x 4096 (built once)."""
    return encoded(Image.new("RGBA", (width, height)), "WEBP", lossless=True, method=0)


def palette_bmp(width: int, height: int) -> bytes:
    """An 8-bit palette BMP of ``width`` x ``height``, RLE8-compressed: all one colour."""
    runs = b""
    for _ in range(height):
        left = width
        while left:
            step = min(255, left)
            runs += bytes([step, 0])
            left -= step
        runs += b"\0\0"  # end of line
    runs += b"\0\1"  # end of bitmap
    palette = b"\0\0\0\0" * 256
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(runs), 0, 0, 256, 0)
    offset = 14 + len(info) + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(runs), 0, 0, offset)
    return header + info + palette + runs


def progressive_jpeg_claiming(width: int, height: int, mode: str = "CMYK") -> bytes:
    """A tiny progressive JPEG whose frame header says ``width`` x ``height``: libjpeg
    allocates its full-size coefficient buffer (2 bytes a sample) before reading a scan."""
    buffer = io.BytesIO()
    Image.new(mode, (16, 16)).save(buffer, "JPEG", progressive=True, subsampling=0)
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc2")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A picture with detail in every channel (so codecs can't shortcut it)."""
    rows, cols = np.mgrid[0:height, 0:width]
    rgb = np.stack([rows % 256, cols % 256, (rows + cols) % 251], axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb)
    if mode == "RGBA":
        alpha = Image.fromarray(((rows * 3 + cols) % 256).astype(np.uint8))
        image.putalpha(alpha)
        return image
    return image.convert(mode)


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def palette_png_with_transparency(width: int, height: int) -> bytes:
    image = gradient(width, height).quantize(64)
    return encoded(image, "PNG", transparency=0)


def gray16_png(width: int, height: int) -> bytes:
    rows, cols = np.mgrid[0:height, 0:width]
    return encoded(Image.fromarray(((rows * 37 + cols * 11) % 65536).astype(np.uint16)), "PNG")


def phone_photo(width: int = 4000, height: int = 3000, **options: object) -> bytes:
    rows, cols = np.mgrid[0:height, 0:width]
    photo = np.stack([rows % 256, cols % 256, (rows * cols) % 256], axis=-1).astype(np.uint8)
    return encoded(Image.fromarray(photo), "JPEG", quality=90, **options)


# --- memory of this process -------------------------------------------------------------


def _status_bytes(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {key}")


_libc = ctypes.CDLL(ctypes.util.find_library("c"))


class PeakGrowth:
    """How far this process's resident memory rose above its level at the start (VmHWM
    reset through ``clear_refs``), in MB. Free memory glibc kept is handed back first, or
    a decode would reuse it unseen."""

    def __enter__(self) -> PeakGrowth:
        gc.collect()
        _libc.malloc_trim(0)
        self.before = _status_bytes("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")
        self.mb = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.mb = (_status_bytes("VmHWM") - self.before) / MB


# --- decoding within its promise --------------------------------------------------------


def test_decode_cost_counts_the_stored_image_the_codec_and_the_working_set() -> None:
    """Pillow stores RGB and LA in 4 bytes a pixel; libwebp holds three more canvases."""
    work = decode_cost("L", (1, 1)) - 1
    assert decode_cost("RGB", (1000, 1000)) == 4_000_000 + work
    assert decode_cost("P", (1000, 1000)) == 1_000_000 + work
    assert decode_cost("RGBA", (1000, 1000), codec_bytes_per_pixel=12) == 16_000_000 + work
    assert work <= 24 * MB


PICTURES: dict[str, Callable[[], bytes]] = {
    "RGBA PNG 3000x3000": lambda: encoded(gradient(3000, 3000, "RGBA"), "PNG", compress_level=1),
    "RGB PNG 3000x3000": lambda: encoded(gradient(3000, 3000), "PNG", compress_level=1),
    "palette PNG with transparency 3000x3000": lambda: palette_png_with_transparency(3000, 3000),
    "LA PNG 3000x3000": lambda: encoded(gradient(3000, 3000, "LA"), "PNG", compress_level=1),
    "16-bit gray PNG 3000x3000": lambda: gray16_png(3000, 3000),
    "wide RGBA PNG 30000x300": lambda: rgba_png(30000, 300),
    "lossless WebP 2000x2000": lambda: encoded(
        gradient(2000, 2000, "RGBA"), "WEBP", lossless=True, quality=0, method=0
    ),
    "lossy WebP 2000x2000": lambda: encoded(gradient(2000, 2000), "WEBP", quality=50, method=0),
    "RLE BMP 3000x3000": lambda: palette_bmp(3000, 3000),
    "GIF 3000x3000": lambda: encoded(gradient(3000, 3000).quantize(32), "GIF"),
    "progressive JPEG 3000x3000 (4:4:4)": lambda: encoded(
        gradient(3000, 3000), "JPEG", progressive=True, subsampling=0
    ),
    "progressive CMYK JPEG 3000x3000": lambda: encoded(
        gradient(3000, 3000, "CMYK"), "JPEG", progressive=True
    ),
    "baseline JPEG 4000x3000": phone_photo,
}


def _warm_up() -> None:
    """Decode a small file of each format first: codecs allocate their tables once."""
    for fmt in ("PNG", "JPEG", "WEBP", "BMP", "GIF"):
        decode_upload(encoded(gradient(600, 600), fmt), **LIMITS)


@pytest.mark.parametrize("name", PICTURES)
def test_each_format_decodes_within_the_memory_its_header_promised(name: str) -> None:
    """The decode's measured peak stays within ``decoded_bytes`` (what the limit is
    checked against), and the picture is the one the full-size preparation gives."""
    data = PICTURES[name]()
    _warm_up()
    with PeakGrowth() as peak:
        image = decode_upload(data, **LIMITS, max_decode_bytes=GI)
    promised = image.decoded_bytes / MB
    assert peak.mb <= 1.1 * promised + 4, f"{name}: {peak.mb:.1f} MB, promised {promised:.1f}"
    with Image.open(io.BytesIO(data)) as full:
        reference = to_model_pixels(full)
    assert np.abs(image.pixels.astype(int) - reference.astype(int)).mean() < 3, name


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("lossless WebP 16383x2400", lossless_webp(16383, 2400)),
        ("RGBA PNG 6000x6000", rgba_png(6000, 6000)),
        ("RLE BMP 6000x6000", palette_bmp(6000, 6000)),
        ("blank lossless WebP 4096x4096", blank_webp(4096, 4096)),
        ("progressive CMYK JPEG claiming 4096x4096", progressive_jpeg_claiming(4096, 4096)),
    ],
)
def test_a_small_file_with_a_huge_decode_is_refused_before_decoding(name: str, data: bytes) -> None:
    assert len(data) < 2 * 1024 * 1024, name  # within the byte limit: the old way in
    with PeakGrowth() as peak, pytest.raises(ImageRejected) as refused:
        decode_upload(data, max_bytes=10 * MB, max_pixels=40_000_000)
    assert refused.value.status == 413, refused.value.message
    assert refused.value.code in ("too_many_pixels", "too_large_to_decode"), name
    assert peak.mb < 50, name


def test_a_gif_frame_larger_than_its_screen_is_counted_from_the_header() -> None:
    """A 10 x 10 screen whose first frame claims 5000 x 5000: Pillow grows the picture to
    hold the frame when it reads the header, so the frame's pixels are refused."""
    data = (
        b"GIF89a"
        + struct.pack("<HHBBB", 10, 10, 0x80, 0, 0)
        + bytes([0, 0, 0, 255, 255, 255])
        + b","
        + struct.pack("<HHHHB", 0, 0, 5000, 5000, 0)
        + b"\x02\x02\x44\x01\x00;"
    )
    with PeakGrowth() as peak, pytest.raises(ImageRejected) as refused:
        decode_upload(data, **LIMITS)
    assert (refused.value.code, refused.value.status) == ("too_many_pixels", 413)
    assert "5,000 x 5,000" in refused.value.message
    assert peak.mb < 5


def test_a_phone_photo_is_decoded_at_reduced_scale() -> None:
    """A 12-megapixel baseline JPEG is decoded at 1/8 scale (DCT scaling)."""
    image = decode_upload(phone_photo(), **LIMITS)
    assert image.pixels.shape == (64, 64, 3)
    assert image.source_size == (500, 375)
    assert image.decoded_bytes < 32 * MB


def test_default_limits_keep_the_gateways_decoding_well_inside_its_1_gi() -> None:
    settings = GatewaySettings()
    assert settings.max_upload_pixels <= 4096 * 4096
    pool = DecodePool(settings.decode_workers or None, settings.max_waiting_decodes, 1)
    pool.close()
    assert 1 <= pool.workers <= 4
    assert pool.workers * settings.max_decode_bytes <= 400 * MB


# --- the decode pool --------------------------------------------------------------------


def _small_png() -> bytes:
    return encoded(Image.new("RGB", (64, 64), "red"), "PNG")


def test_the_pool_decodes_a_few_at_once_and_refuses_beyond_its_queue() -> None:
    picture = _small_png()
    pool = DecodePool(workers=1, max_waiting=2, retry_after_seconds=3)

    async def read() -> bytes:
        return picture

    async def burst() -> list[object]:
        return await asyncio.gather(
            *(pool.decode(read, **LIMITS) for _ in range(6)), return_exceptions=True
        )

    try:
        answers = asyncio.run(burst())
    finally:
        pool.close()
    refused = [a for a in answers if isinstance(a, ApiError)]
    assert len(refused) == 3  # one decoding, two waiting, three turned away
    assert all(a.status_code == 503 and a.code == "decode_busy" for a in refused)
    assert all(a.headers == {"Retry-After": "3"} for a in refused)


def test_an_upload_waiting_for_the_pool_holds_none_of_its_bytes() -> None:
    """The bytes are read (from the spooled upload) only once a decoder is free, so the
    waiting uploads cost the gateway no memory beyond the spooled file's buffer."""
    picture = _small_png()
    holding = 0
    most = 0
    lock = threading.Lock()

    def decoding(data: bytes, limits: dict[str, int]) -> NormalisedImage:
        nonlocal holding
        try:
            threading.Event().wait(0.05)
            return decode_upload(data, **limits)
        finally:
            with lock:
                holding -= 1

    async def read() -> bytes:
        nonlocal holding, most
        with lock:
            holding += 1
            most = max(most, holding)
        return picture

    async def burst() -> list[object]:
        return await asyncio.gather(*(pool.decode(read, **LIMITS) for _ in range(8)))

    pool = DecodePool(workers=2, max_waiting=10, retry_after_seconds=3, work=decoding)
    try:
        answers = asyncio.run(burst())
    finally:
        pool.close()
    assert len(answers) == 8
    assert most <= 2


def test_a_chunked_body_is_counted_without_being_held_in_memory() -> None:
    """A chunked body within the limit reaches the app whole, but the limit's count
    keeps at most about a megabyte of it in memory (the rest waits on disk)."""
    import tracemalloc

    received = 0

    async def app(scope: dict[str, object], receive: Callable[[], object], send: object) -> None:
        nonlocal received
        more = True
        while more:
            message = await receive()  # type: ignore[misc]
            received += len(message.get("body", b""))
            more = message.get("more_body", False)

    async def upload() -> None:
        chunks = [{"type": "http.request", "body": b"x" * 65536, "more_body": True}] * 150
        chunks.append({"type": "http.request", "body": b"", "more_body": False})
        pending = iter(chunks)

        async def receive() -> object:
            return dict(next(pending))

        async def send(message: object) -> None:
            raise AssertionError(f"nothing is sent by this app: {message}")

        limited = BodySizeLimit(app, BodyLimit(10 * MB + 1))  # type: ignore[arg-type]
        scope = {"type": "http", "path": "/", "headers": [(b"transfer-encoding", b"chunked")]}
        await limited(scope, receive, send)  # type: ignore[arg-type]

    tracemalloc.start()
    try:
        asyncio.run(upload())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == 150 * 65536
    assert peak < 3 * MB, peak / MB


# --- through the gateway ----------------------------------------------------------------


def _describe(
    request: activations_pb2.DescribeModelRequest, context: grpc.ServicerContext
) -> activations_pb2.ModelDescription:
    return activations_pb2.ModelDescription(
        model_name=request.model_name,
        model_version=1,
        description_json=json.dumps({"input": {"shape": [64, 64, 3]}}),
        available_versions=[1],
    )


def _bundle(
    request: activations_pb2.GetActivationsRequest, context: grpc.ServicerContext
) -> activations_pb2.ActivationBundle:
    return activations_pb2.ActivationBundle()


# The activation service as far as uploads need it: a 64x64 model, empty bundles.
STAND_IN_ACTIVATIONS = grpc.method_handlers_generic_handler(
    "cnn101.v1.ActivationService",
    {
        "DescribeModel": grpc.unary_unary_rpc_method_handler(
            _describe,
            request_deserializer=activations_pb2.DescribeModelRequest.FromString,
            response_serializer=activations_pb2.ModelDescription.SerializeToString,
        ),
        "GetActivations": grpc.unary_unary_rpc_method_handler(
            _bundle,
            request_deserializer=activations_pb2.GetActivationsRequest.FromString,
            response_serializer=activations_pb2.ActivationBundle.SerializeToString,
        ),
    },
)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path) -> Iterator[str]:
    """The real gateway app with its default upload limits, under uvicorn in this process."""
    root = tmp_path_factory.mktemp("gateway")
    redis_process = RedisProcess(root)
    redis_process.start()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((STAND_IN_ACTIVATIONS,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    thread = GatewayThread(
        create_app(
            GatewaySettings(
                activations_target=f"127.0.0.1:{port}",
                data_dir=real_data_dir,
                spa_dir=root / "no-spa",
                redis_url=redis_process.url,
                broker_url=redis_process.url_for(1),
                result_backend=redis_process.url_for(1),
                evaluation_url=f"http://127.0.0.1:{free_port()}",
                studio_url=f"http://127.0.0.1:{free_port()}",
                rate_limit_scale=0,
            )
        )
    )
    thread.start()
    try:
        with httpx.Client(base_url=thread.url, timeout=60) as client:  # the first upload's
            assert _upload(client, _small_png()).status_code == 200  # allocations
        yield thread.url
    finally:
        thread.stop()
        server.stop(grace=None)
        redis_process.stop()


def _upload(client: httpx.Client, data: bytes) -> httpx.Response:
    return client.post("/api/activations", files={"file": ("picture.png", data, "image/png")})


ISSUE_FILES = {
    "lossless WebP 16383x2400": lossless_webp(16383, 2400),
    "RGBA PNG 6000x6000": rgba_png(6000, 6000),
    "RLE BMP 6000x6000": palette_bmp(6000, 6000),
    "blank lossless WebP 4096x4096": blank_webp(4096, 4096),
    "progressive CMYK JPEG claiming 4096x4096": progressive_jpeg_claiming(4096, 4096),
}


@pytest.mark.parametrize("name", ISSUE_FILES)
def test_the_gateway_refuses_decompression_bombs_with_413_and_little_memory(
    name: str, gateway: str
) -> None:
    with httpx.Client(base_url=gateway, timeout=60) as client, PeakGrowth() as peak:
        answer = _upload(client, ISSUE_FILES[name])
    assert answer.status_code == 413, answer.text
    error = answer.json()["error"]
    assert error["code"] in ("too_many_pixels", "too_large_to_decode"), error
    assert "smaller" in error["message"]
    assert peak.mb < 50, f"{name}: the gateway grew {peak.mb:.0f} MB"


def test_six_of_the_largest_allowed_pictures_at_once_stay_within_the_pool_bound(
    gateway: str,
) -> None:
    """The heaviest pictures still decoded (their promised memory just under the limit),
    six at once: the pool lets a few decode at a time, so the gateway grows by at most
    workers x 96 MB, not six times that."""
    settings = GatewaySettings()
    heavy = [encoded(gradient(1800, 1800, "RGBA"), "WEBP", lossless=True, method=0)] * 3
    heavy += [rgba_png(4000, 4000)] * 3
    for data in (heavy[0], heavy[-1]):
        assert decode_upload(data, **LIMITS).decoded_bytes > 0.4 * settings.max_decode_bytes

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=gateway, timeout=120) as session:
            return await asyncio.gather(
                *(
                    session.post("/api/activations", files={"file": ("p.png", data)})
                    for data in heavy
                )
            )

    with PeakGrowth() as peak:
        answers = asyncio.run(send_all())
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    workers = DecodePool(settings.decode_workers or None, 1, 1)
    workers.close()
    assert peak.mb < workers.workers * settings.max_decode_bytes / MB + 40, peak.mb


def _multipart(size: int, boundary: str = "cnn101-boundary") -> tuple[Iterator[bytes], str]:
    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        left = size
        while left > 0:
            step = min(left, 256 * 1024)
            yield b"\x89" * step
            left -= step
        yield f"\r\n--{boundary}--\r\n".encode()

    return body(), f"multipart/form-data; boundary={boundary}"


def test_a_chunked_11_mb_upload_gets_the_same_413_as_a_declared_one(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=60) as client:
        body, content_type = _multipart(11 * MB)
        chunked = client.post(
            "/api/activations", content=body, headers={"content-type": content_type}
        )
        declared = client.post(
            "/api/activations",
            content=b"".join(_multipart(11 * MB)[0]),
            headers={"content-type": content_type},
        )
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == declared.status_code == 413, chunked.text
    assert chunked.json() == declared.json()
    assert chunked.json()["error"]["code"] == "body_too_large"


def test_a_chunked_upload_within_the_limit_is_decoded(gateway: str) -> None:
    data = phone_photo(800, 600)
    boundary = "cnn101-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for start in range(0, len(data), 100_000):
            yield data[start : start + 100_000]
        yield f"\r\n--{boundary}--\r\n".encode()

    with httpx.Client(base_url=gateway, timeout=60) as client:
        answer = client.post(
            "/api/activations",
            content=body(),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-image-digest"] == decode_upload(data, **LIMITS).digest


def test_a_large_phone_photo_still_works_through_the_gateway(gateway: str) -> None:
    data = phone_photo()
    with httpx.Client(base_url=gateway, timeout=60) as client, PeakGrowth() as peak:
        answer = _upload(client, data)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-image-digest"] == decode_upload(data, **LIMITS).digest
    assert peak.mb < 50

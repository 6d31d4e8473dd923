"""Render a model version's example bundles and class sprites once, as static files.

The answers of the example routes never change for an exported version, so the worker
writes them to disk (services/common/static_layout.py) and the gateway, nginx or a CDN
serves them as files. Bundles are requested through the activation service exactly as the
gateway's dynamic route requests them, and written as the bytes it returned (never parsed),
so a file is byte for byte what the route would send; sprites are encoded as the gateway
encodes them. Every write is a temporary file renamed into place, and a file already there
is never rewritten (its name is its content's digest), so a second run writes nothing and a
reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np
from cnn101.v1 import activations_pb2
from PIL import Image

from services.common.static_layout import (
    BUNDLES,
    MANIFEST,
    SPRITES,
    Manifest,
    relative_path,
    version_dir,
)
from services.pipeline.examples import ExampleCatalog
from services.worker.featured import featured_example

Progress = Callable[[int, int], None]
GET_ACTIVATIONS = "/cnn101.v1.ActivationService/GetActivations"
DESCRIBE_MODEL = "/cnn101.v1.ActivationService/DescribeModel"


class FingerprintChangedError(RuntimeError):
    """The version was exported again while it was being rendered: render it again."""


@dataclass(frozen=True)
class Rendered:
    """What one render did: the version's folder, its examples, the files it wrote."""

    directory: Path
    fingerprint: str
    examples: int
    written: int


def sprite_png(catalog: ExampleCatalog, ids: list[str], size: int) -> bytes:
    """A class's examples side by side, encoded as services/gateway/images.py::encode_png
    encodes the gateway's sprite (the worker's image has no gateway code; the test checks
    the bytes are the same)."""
    pixels = np.concatenate([catalog.pixels(i, size) for i in ids], axis=1)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()


def write_once(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless a file is there already (a name that is a digest of
    the content is always the same bytes); return whether anything was written."""
    if path.is_file():
        return False
    _write_atomically(path, data)
    return True


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless ``path`` holds exactly these bytes (the manifest, by name)."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    _write_atomically(path, data)
    return True


def _write_atomically(path: Path, data: bytes) -> None:
    """A temporary file beside ``path``, renamed over it: readers see all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).chmod(0o644)  # read by the gateway or nginx, perhaps as another user
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def complete(root: Path, directory: Path) -> Manifest | None:
    """The version's manifest when it and every file it names are on disk."""
    try:
        manifest = Manifest.from_json((directory / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    return manifest if all((root / name).is_file() for name in manifest.files()) else None


class Renderer:
    """Renders versions through one channel to the activation service."""

    def __init__(self, channel: grpc.Channel, root: Path, catalog: ExampleCatalog) -> None:
        self.root = root
        self.catalog = catalog
        # Raw bytes in and out: the bundle is written exactly as the service sent it.
        self._bundle = channel.unary_unary(
            GET_ACTIVATIONS,
            request_serializer=activations_pb2.GetActivationsRequest.SerializeToString,
        )
        self._describe = channel.unary_unary(
            DESCRIBE_MODEL,
            request_serializer=activations_pb2.DescribeModelRequest.SerializeToString,
            response_deserializer=activations_pb2.ModelDescription.FromString,
        )

    def _described(self, model: str, version: int) -> tuple[str, int, list[str]]:
        """The version's fingerprint, input size and class names."""
        request = activations_pb2.DescribeModelRequest(model_name=model, model_version=version)
        description = json.loads(self._describe(request, timeout=60).description_json)
        classes = [str(c.get("name", "")) for c in description.get("classes", [])]
        return (
            str(description.get("fingerprint", "")),
            int(description["input"]["shape"][0]),
            classes,
        )

    def render(self, model: str, version: int, progress: Progress | None = None) -> Rendered:
        """Write every example's bundle and every class's sprite, then the manifest."""
        fingerprint, size, class_names = self._described(model, version)
        directory = version_dir(self.root, model, version, fingerprint)
        examples = list(self.catalog)
        existing = complete(self.root, directory)
        if existing is not None and set(existing.bundles) == {e.id for e in examples}:
            return Rendered(directory, fingerprint, len(examples), 0)
        written = 0
        bundles: dict[str, tuple[str, str]] = {}
        scored: list[tuple[str, str, list[float]]] = []
        for done, example in enumerate(examples, start=1):
            request = activations_pb2.GetActivationsRequest(
                model_name=model, model_version=version, example_id=example.id
            )
            data: bytes = self._bundle(request, timeout=60)
            sha = hashlib.sha256(data).hexdigest()
            written += write_once(
                self.root / relative_path(model, version, fingerprint, BUNDLES, sha), data
            )
            parsed = activations_pb2.ActivationBundle.FromString(data)
            bundles[example.id] = (parsed.image_digest, sha)
            scored.append((example.id, example.class_name, list(parsed.probabilities)))
            if progress is not None:
                progress(done, len(examples))
        sprites: dict[int, str] = {}
        for label in sorted({example.label for example in examples}):
            ids = [example.id for example in examples if example.label == label]
            png = sprite_png(self.catalog, ids, size)
            sprites[label] = hashlib.sha256(png).hexdigest()
            path = self.root / relative_path(model, version, fingerprint, SPRITES, sprites[label])
            written += write_once(path, png)
        # A re-export during the render may have answered some bundles with the new files:
        # they are on disk under their own digests, but no manifest of this folder names them.
        if self._described(model, version)[0] != fingerprint:
            raise FingerprintChangedError(f"{model} {version} was exported again while rendered")
        featured = featured_example(scored, class_names)
        manifest = Manifest(model, version, fingerprint, size, bundles, sprites, featured)
        written += write_if_changed(directory / MANIFEST, manifest.to_json())
        return Rendered(directory, fingerprint, len(examples), written)

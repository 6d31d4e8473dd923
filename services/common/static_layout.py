"""Where a model version's pre-rendered example files live, and the manifest that lists them.

The worker writes, the gateway (or nginx, a CDN) reads: this module is the contract between
them. A version's files sit under ``<root>/<model>/<version>/<fingerprint>/``: ``bundles/``
and ``sprites/`` hold files named by the SHA-256 of their own bytes (immutable: the same
name is always the same bytes), and ``manifest.json``, written last, maps each example and
class to its file. A version exported again has another fingerprint, hence another folder,
so nothing already served ever changes under its URL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

MANIFEST = "manifest.json"
BUNDLES = "bundles"
SPRITES = "sprites"
BUNDLE_SUFFIX = ".bin"
SPRITE_SUFFIX = ".png"
# The URL prefix the gateway mounts the root at (nginx's `location` uses the same).
URL_PREFIX = "/static"
# 2: with the featured example (the explorer's first picture).
MANIFEST_FORMAT = 2

# One path segment each: nothing that could climb out of the root (no "/", no leading ".").
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
FINGERPRINT = re.compile(r"[0-9a-f]{16}")
SHA256 = re.compile(r"[0-9a-f]{64}")
# <model>/<version>/<fingerprint>/(bundles|sprites)/<sha256>.(bin|png), nothing else.
FILE_PATH = re.compile(
    r"(?P<model>[A-Za-z0-9][A-Za-z0-9_.-]{0,99})/(?P<version>[1-9][0-9]{0,18})/"
    r"(?P<fingerprint>[0-9a-f]{16})/(?:bundles/(?P<bundle>[0-9a-f]{64})\.bin"
    r"|sprites/(?P<sprite>[0-9a-f]{64})\.png)"
)


def version_dir(root: Path, model: str, version: int, fingerprint: str) -> Path:
    """The folder of one exported version's files; refuses names that are not one segment."""
    if not MODEL_NAME.fullmatch(model) or not FINGERPRINT.fullmatch(fingerprint) or version < 1:
        raise ValueError(f"no static folder for {model!r} {version} {fingerprint!r}")
    return root / model / str(version) / fingerprint


def relative_path(model: str, version: int, fingerprint: str, kind: str, sha256: str) -> str:
    """``model/version/fingerprint/bundles/<sha256>.bin`` (or ``sprites/...png``)."""
    suffix = BUNDLE_SUFFIX if kind == BUNDLES else SPRITE_SUFFIX
    return str(PurePosixPath(model, str(version), fingerprint, kind, sha256 + suffix))


@dataclass(frozen=True)
class Manifest:
    """What a finished render holds: example id -> (image digest, bundle file's SHA-256),
    class label -> sprite file's SHA-256."""

    model: str
    version: int
    fingerprint: str
    input_size: int
    bundles: dict[str, tuple[str, str]]
    sprites: dict[int, str]
    # The example the explorer opens with (services/worker/featured.py), None if no example
    # is of a class the model knows.
    featured: str | None = None

    def to_json(self) -> bytes:
        """Deterministic bytes: the same render writes the same manifest."""
        document = {
            "format": MANIFEST_FORMAT,
            "model": self.model,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "input_size": self.input_size,
            "bundles": {
                example: {"image_digest": digest, "sha256": sha}
                for example, (digest, sha) in sorted(self.bundles.items())
            },
            "sprites": {str(label): sha for label, sha in sorted(self.sprites.items())},
            "featured": self.featured,
        }
        return json.dumps(document, indent=1, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse and check a manifest; ``ValueError`` when it is not one we wrote."""
        try:
            document: dict[str, Any] = json.loads(data)
            if document.get("format") != MANIFEST_FORMAT:
                raise ValueError(f"manifest format {document.get('format')!r}")
            bundles = {
                str(example): (str(entry["image_digest"]), str(entry["sha256"]))
                for example, entry in document["bundles"].items()
            }
            sprites = {int(label): str(sha) for label, sha in document["sprites"].items()}
            manifest = cls(
                str(document["model"]),
                int(document["version"]),
                str(document["fingerprint"]),
                int(document["input_size"]),
                bundles,
                sprites,
                None if document["featured"] is None else str(document["featured"]),
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
            raise ValueError(f"not a static manifest: {error}") from error
        if manifest.featured is not None and manifest.featured not in bundles:
            raise ValueError("the featured example has no bundle")
        shas = [sha for _, sha in bundles.values()] + list(sprites.values())
        if not all(SHA256.fullmatch(sha) for sha in shas):
            raise ValueError("a manifest entry is not a SHA-256")
        return manifest

    def files(self) -> list[str]:
        """Every file the manifest names, relative to the static root."""
        at = (self.model, self.version, self.fingerprint)
        return [relative_path(*at, BUNDLES, sha) for _, sha in self.bundles.values()] + [
            relative_path(*at, SPRITES, sha) for sha in self.sprites.values()
        ]

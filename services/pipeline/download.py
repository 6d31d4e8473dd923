"""Fetch the official Tiny ImageNet archive and extract the classes a model uses.

On a machine with internet access this turns ``tiny-imagenet-200.zip`` (about 240 MB)
into the ten-class folder CNN 101 trains on, in the archive's own layout. The archive is
streamed to a ``.part`` file with a progress bar, its MD5 is checked against the published
one, every member's CRC is checked, and the folder is written beside its target and renamed
into place, so an interrupted run never leaves a half-extracted data directory behind.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from services.pipeline.classes import ImageClass

CHUNK_BYTES = 1 << 20


class DownloadError(RuntimeError):
    """The archive could not be fetched, failed verification, or is not Tiny ImageNet."""


def download(url: str, destination: Path, expected_md5: str | None, progress: bool = True) -> Path:
    """Stream ``url`` to ``destination``; verify its MD5 when one is given."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with (
                partial.open("wb") as out,
                tqdm(
                    total=total,
                    unit="B",
                    unit_scale=True,
                    desc=destination.name,
                    disable=not progress,
                ) as bar,
            ):
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise DownloadError(f"Could not download {url}: {error}") from error
    if expected_md5 and digest.hexdigest() != expected_md5.lower():
        partial.unlink(missing_ok=True)
        raise DownloadError(
            f"{url} downloaded, but its MD5 {digest.hexdigest()} is not the expected "
            f"{expected_md5}: the file is damaged or not the official archive."
        )
    partial.replace(destination)
    return destination


def _archive_root(names: Sequence[str]) -> str:
    """The folder inside the archive that holds ``wnids.txt`` (``tiny-imagenet-200/``)."""
    for name in names:
        path = PurePosixPath(name)
        if path.name == "wnids.txt" and len(path.parts) <= 2:
            return str(path.parent) + "/" if str(path.parent) != "." else ""
    raise DownloadError("The archive holds no wnids.txt: it is not in the Tiny ImageNet layout.")


def _safe_relative(name: str, root: str) -> PurePosixPath | None:
    if not name.startswith(root) or name.endswith("/"):
        return None
    relative = PurePosixPath(name[len(root) :])
    if relative.is_absolute() or ".." in relative.parts:
        raise DownloadError(f"The archive member {name!r} points outside its folder.")
    return relative


def _wanted(relative: PurePosixPath, wnids: set[str], val_images: set[str]) -> bool:
    parts = relative.parts
    if parts[0] == "train":
        return len(parts) >= 2 and parts[1] in wnids
    if parts[0] == "val" and len(parts) == 3 and parts[1] == "images":
        return parts[2] in val_images
    return False


def extract_classes(archive: Path, target: Path, classes: Sequence[ImageClass]) -> Path:
    """Extract ``classes`` from a Tiny ImageNet zip into ``target`` (official layout)."""
    if target.exists() and any(target.iterdir()):
        raise DownloadError(f"{target} exists and is not empty; choose an empty folder.")
    try:
        zip_file = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as error:
        raise DownloadError(f"{archive} is not a zip archive: {error}") from error
    with zip_file:
        broken = zip_file.testzip()
        if broken is not None:
            raise DownloadError(f"{archive} is damaged: member {broken} fails its CRC check.")
        names = zip_file.namelist()
        root = _archive_root(names)
        available = {
            line.strip() for line in zip_file.read(root + "wnids.txt").decode().splitlines()
        }
        missing = [c.wnid for c in classes if c.wnid not in available]
        if missing:
            raise DownloadError(f"The archive lacks the classes {', '.join(missing)}.")
        wnids = {c.wnid for c in classes}
        annotations = [
            line
            for line in zip_file.read(root + "val/val_annotations.txt").decode().splitlines()
            if len(line.split("\t")) > 1 and line.split("\t")[1] in wnids
        ]
        val_images = {line.split("\t")[0] for line in annotations}
        words = zip_file.read(root + "words.txt").decode().splitlines()

        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            for name in names:
                relative = _safe_relative(name, root)
                if relative is None or not _wanted(relative, wnids, val_images):
                    continue
                destination = staging.joinpath(*relative.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zip_file.open(name) as source, destination.open("wb") as out:
                    shutil.copyfileobj(source, out)
            (staging / "wnids.txt").write_text("".join(f"{c.wnid}\n" for c in classes))
            (staging / "words.txt").write_text(
                "".join(f"{line}\n" for line in words if line.split("\t")[0] in wnids)
            )
            (staging / "val").mkdir(exist_ok=True)
            (staging / "val" / "val_annotations.txt").write_text(
                "".join(f"{line}\n" for line in annotations)
            )
            if target.exists():
                target.rmdir()
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


def fetch_dataset(
    url: str,
    expected_md5: str | None,
    target: Path,
    classes: Sequence[ImageClass],
    progress: bool = True,
) -> Path:
    """Download the archive (kept beside ``target`` for reuse) and extract ``classes``."""
    archive = target.parent / PurePosixPath(url).name
    if not archive.is_file():
        download(url, archive, expected_md5, progress)
    return extract_classes(archive, target, classes)

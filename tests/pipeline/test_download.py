"""The download path, run against a small archive in the official layout served over HTTP."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.pipeline.classes import CNN101_CLASSES, ImageClass
from services.pipeline.data import load_train, load_validation
from services.pipeline.download import DownloadError, download, extract_classes, fetch_dataset
from tests.synthetic import write_tiny_imagenet

EXTRA = (ImageClass("n01443537", "goldfish"), ImageClass("n01629819", "salamander"))


def _zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as zip_file:
        for path in sorted(folder.rglob("*")):
            zip_file.write(path, path.relative_to(folder.parent).as_posix())
    return archive


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A 12-class ``tiny-imagenet-200.zip`` whose class list is in another order."""
    classes = (EXTRA[0], *reversed(CNN101_CLASSES), EXTRA[1])
    write_tiny_imagenet(
        tmp_path / "src", classes, per_class=2, val_per_class=2, archive_root="tiny-imagenet-200"
    )
    served = tmp_path / "served"
    served.mkdir()
    return _zip_folder(tmp_path / "src" / "tiny-imagenet-200", served / "tiny-imagenet-200.zip")


@pytest.fixture
def server(archive: Path) -> Iterator[str]:
    """A real HTTP server on loopback serving the archive's folder."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(archive.parent), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def test_downloads_verifies_and_extracts_the_ten_classes(
    tmp_path: Path, archive: Path, server: str
) -> None:
    target = tmp_path / "data" / "tiny-imagenet-10"
    fetch_dataset(
        f"{server}/tiny-imagenet-200.zip", _md5(archive), target, CNN101_CLASSES, progress=False
    )
    assert (target / "wnids.txt").read_text().split() == [c.wnid for c in CNN101_CLASSES]
    assert sorted(p.name for p in (target / "train").iterdir()) == sorted(
        c.wnid for c in CNN101_CLASSES
    )
    assert len((target / "words.txt").read_text().splitlines()) == 10
    train = load_train(target, CNN101_CLASSES)
    val = load_validation(target, CNN101_CLASSES)
    assert len(train) == 20 and len(val) == 20
    assert len(list((target / "val" / "images").iterdir())) == 20  # extras left out
    assert (target.parent / "tiny-imagenet-200.zip").is_file()  # kept for a rerun
    assert not list(target.parent.glob(".*"))  # no staging folder left behind


def test_wrong_checksum_is_refused_and_leaves_nothing(tmp_path: Path, server: str) -> None:
    destination = tmp_path / "dl" / "tiny-imagenet-200.zip"
    with pytest.raises(DownloadError, match="MD5"):
        download(f"{server}/tiny-imagenet-200.zip", destination, "0" * 32, progress=False)
    assert not destination.exists()
    assert not list(destination.parent.iterdir())


def test_unreachable_server(tmp_path: Path, server: str) -> None:
    with pytest.raises(DownloadError, match="Could not download"):
        download(f"{server}/missing.zip", tmp_path / "x.zip", None, progress=False)


def test_damaged_archive(tmp_path: Path, archive: Path) -> None:
    data = bytearray(archive.read_bytes())
    member = data.find(b"JFIF")
    data[member + 200 : member + 210] = b"\x00" * 10
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    with pytest.raises(DownloadError, match="damaged"):
        extract_classes(damaged, tmp_path / "out", CNN101_CLASSES)
    assert not (tmp_path / "out").exists()


def test_not_a_zip(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_text("<html>404</html>")
    with pytest.raises(DownloadError, match="not a zip archive"):
        extract_classes(fake, tmp_path / "out", CNN101_CLASSES)


def test_archive_without_the_classes(tmp_path: Path) -> None:
    write_tiny_imagenet(
        tmp_path / "src", EXTRA, per_class=1, val_per_class=1, archive_root="tiny-imagenet-200"
    )
    archive = _zip_folder(tmp_path / "src" / "tiny-imagenet-200", tmp_path / "a.zip")
    with pytest.raises(DownloadError, match="lacks the classes"):
        extract_classes(archive, tmp_path / "out", CNN101_CLASSES)


def test_member_escaping_the_folder_is_refused(tmp_path: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "a") as zip_file:
        zip_file.writestr("tiny-imagenet-200/train/n03662601/../../../../evil.txt", "x")
    with pytest.raises(DownloadError, match="outside its folder"):
        extract_classes(archive, tmp_path / "out", CNN101_CLASSES)
    assert not (tmp_path / "evil.txt").exists()


def test_non_empty_target_is_refused(tmp_path: Path, archive: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(DownloadError, match="not empty"):
        extract_classes(archive, target, CNN101_CLASSES)
    assert (target / "keep.txt").read_text() == "mine"

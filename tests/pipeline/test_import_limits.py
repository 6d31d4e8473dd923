"""Model files are checked from their HDF5 metadata before Keras allocates or follows anything.

The measured attack: a 25 KB ``.h5`` declaring a 1 GiB weight tensor took the model worker
from 0.77 to 1.8 GB before it was refused; a model whose weights live in another file of
the server was refused only because Keras happened to refuse it.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import h5py  # type: ignore[import-untyped]
import numpy as np
import pytest

from services.pipeline.import_formats import ImportRejected, read_h5, read_keras_archive
from services.pipeline.import_limits import MAX_PARAMETERS, check_hdf5_bytes
from services.pipeline.import_upload import read_upload
from tests.pipeline.test_importing import build_source, keras_bytes

MODEL_CONFIG = json.dumps(
    {"class_name": "Sequential", "config": {"name": "bomb", "layers": []}}
).encode()


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _h5(build: object) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.attrs["model_config"] = MODEL_CONFIG
        build(h5)  # type: ignore[operator]
    return buffer.getvalue()


def declares_a_gibibyte(h5: h5py.File) -> None:
    # Shape only: HDF5 writes no data, so the file stays a few kilobytes.
    h5.create_dataset("model_weights/dense/kernel", shape=(16384, 16384), dtype="f4")


def test_a_small_file_declaring_a_gibibyte_is_refused_before_any_allocation() -> None:
    bomb = _h5(declares_a_gibibyte)
    assert len(bomb) < 30_000
    before = _rss_bytes()
    with pytest.raises(ImportRejected, match=r"shape \(16384, 16384\).*at most 20,000,000"):
        read_h5(bomb, "bomb.h5")
    with pytest.raises(ImportRejected, match="268,435,456 values"):
        read_upload({"bomb.h5": bomb})
    grown = _rss_bytes() - before
    print(f"RSS grew by {grown / 2**20:.1f} MiB checking a file that declares 1 GiB")
    assert grown < 50 * 2**20


def test_many_tensors_within_the_bound_each_but_not_together_are_refused() -> None:
    def many(h5: h5py.File) -> None:
        for index in range(3):
            h5.create_dataset(f"w{index}", shape=(MAX_PARAMETERS // 2,), dtype="f4")

    with pytest.raises(ImportRejected, match="in all"):
        check_hdf5_bytes(_h5(many), "many.h5")


def test_weights_kept_outside_the_file_are_refused_by_our_check(tmp_path: Path) -> None:
    outside = tmp_path / "secret.bin"
    outside.write_bytes(np.arange(16, dtype="<f4").tobytes())

    def external_storage(h5: h5py.File) -> None:
        h5.create_dataset("kernel", shape=(16,), dtype="<f4", external=[(str(outside), 0, 64)])

    def external_link(h5: h5py.File) -> None:
        h5["model_weights"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/weights")

    def virtual(h5: h5py.File) -> None:
        layout = h5py.VirtualLayout(shape=(16,), dtype="<f4")
        layout[:] = h5py.VirtualSource(str(tmp_path / "other.h5"), "w", shape=(16,))
        h5.create_virtual_dataset("kernel", layout)

    for build in (external_storage, external_link, virtual):
        with pytest.raises(ImportRejected, match="hold its own weights"):
            read_h5(_h5(build), "outside.h5")


def test_a_keras_archive_s_weights_are_checked_too(tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as keras_zip:
        keras_zip.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {}}))
        keras_zip.writestr("model.weights.h5", _h5(declares_a_gibibyte))
    with pytest.raises(ImportRejected, match=r"model.weights.h5 in bomb.keras declares"):
        read_keras_archive(archive.getvalue(), "bomb.keras")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_real_model_passes(tmp_path: Path, suffix: str) -> None:
    data = keras_bytes(build_source(), tmp_path, suffix)
    if suffix == ".h5":
        check_hdf5_bytes(data, "model.h5")
    else:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_hdf5_bytes(archive.read("model.weights.h5"), "model.weights.h5")

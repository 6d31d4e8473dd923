"""The checks of an uploaded model that read only its metadata (file names, sizes, the
config's JSON, HDF5 headers, a TensorFlow.js manifest), without Keras: cheap and safe
enough for the studio to run at upload time, so an instructor learns at once what the model
worker would refuse. The worker runs the same checks again before it loads anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from services.pipeline.import_formats import (
    ImportRejected,
    h5_config,
    keras_archive_config,
    tfjs_config,
)

__all__ = ["MAX_UPLOAD_BYTES", "check_upload", "model_file"]

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def check_upload(files: Mapping[str, bytes], *, hdf5: bool = True) -> None:
    """Every check of :func:`read_upload` that reads only metadata, without Keras: cheap
    enough for the studio at upload time. ``hdf5=False`` skips the HDF5 headers (a ``.h5``
    file, the weights in a ``.keras``)."""
    kind, name = model_file(files)
    if kind == "keras":
        keras_archive_config(files[name], name, hdf5=hdf5)
    elif kind == "h5" and hdf5:
        h5_config(files[name], name)
    elif kind == "tfjs":
        tfjs_config(files, name)


def model_file(files: Mapping[str, bytes]) -> tuple[str, str]:
    """The upload's format (``keras``, ``h5`` or ``tfjs``) and its model file's name."""
    if not files:
        raise ImportRejected("No file was uploaded.")
    total = sum(len(content) for content in files.values())
    if total > MAX_UPLOAD_BYTES:
        raise ImportRejected(
            f"The upload is {total / 2**20:.1f} MB; at most {MAX_UPLOAD_BYTES // 2**20} MB allowed."
        )
    lower = {Path(name).name.lower(): name for name in files}
    keras_files = [n for low, n in lower.items() if low.endswith(".keras")]
    h5_files = [n for low, n in lower.items() if low.endswith((".h5", ".hdf5"))]
    json_files = [n for low, n in lower.items() if low.endswith(".json")]
    if len(keras_files) + len(h5_files) > 1 or ((keras_files or h5_files) and json_files):
        raise ImportRejected("Upload one model: one .keras or .h5 file, or one model.json.")
    if keras_files:
        return "keras", keras_files[0]
    if h5_files:
        return "h5", h5_files[0]
    if len(json_files) == 1:
        return "tfjs", json_files[0]
    raise ImportRejected(
        "Upload a Keras model (.keras or .h5) or a TensorFlow.js layers model "
        "(model.json with its .bin weight files)."
    )

"""What a model file declares, checked from its metadata before Keras reads any weight.

A 25 KB ``.h5`` can declare a 1 GiB tensor (HDF5 allocates storage lazily, and reading an
unwritten dataset returns its fill value at full size), or keep its weights in another
file on the server's disk (external storage, virtual datasets, external links). Keras would
allocate, or follow, first and fail later. These checks walk the HDF5 tree by its headers
alone: every link's kind, every dataset's shape, type and storage; nothing is read.
"""

from __future__ import annotations

import io
import math
from typing import Any

from services.pipeline.import_formats import ImportRejected

# The most parameters a model may have (Tiny VGG has about 30 thousand), and so the most
# bytes its weights may declare at 8 bytes each.
MAX_PARAMETERS = 20_000_000
MAX_WEIGHT_BYTES = 8 * MAX_PARAMETERS


def check_hdf5_bytes(data: bytes, filename: str) -> None:
    """Open ``data`` as HDF5 and check it (a ``.h5`` file, or the weights of a ``.keras``)."""
    import h5py  # type: ignore[import-untyped]

    try:
        with h5py.File(io.BytesIO(data), "r") as h5:
            check_hdf5(h5, filename)
    except ImportRejected:
        raise
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ImportRejected(f"{filename} is not a readable HDF5 file ({error}).") from None


def check_hdf5(h5: Any, filename: str) -> None:
    """Refuse links out of the file, external or virtual storage, and oversized tensors."""
    import h5py

    parameters = weight_bytes = 0
    pending: list[tuple[str, Any]] = [("/", h5["/"])]
    while pending:
        path, group = pending.pop()
        for name in group:
            where = f"{path.rstrip('/')}/{name}"
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                raise ImportRejected(
                    f"{filename} links {where} to another file ({link.filename}); a model must "
                    "hold its own weights."
                )
            if isinstance(link, h5py.SoftLink):
                continue  # points inside the file: what it names is walked on its own
            item = group[name]
            if isinstance(item, h5py.Group):
                pending.append((where, item))
                continue
            if not isinstance(item, h5py.Dataset):
                continue
            if item.external or item.is_virtual:
                raise ImportRejected(
                    f"{filename} keeps the data of {where} outside the file; a model must hold "
                    "its own weights."
                )
            count = math.prod(item.shape) if item.shape else 1
            if count > MAX_PARAMETERS:
                raise ImportRejected(
                    f"{filename} declares {where} with shape {tuple(item.shape)} "
                    f"({count:,} values); a model may have at most {MAX_PARAMETERS:,} "
                    "parameters."
                )
            parameters += count
            weight_bytes += count * item.dtype.itemsize
    if parameters > MAX_PARAMETERS or weight_bytes > MAX_WEIGHT_BYTES:
        raise ImportRejected(
            f"{filename} declares {parameters:,} values ({weight_bytes / 2**20:.0f} MB) in all; "
            f"a model may have at most {MAX_PARAMETERS:,} parameters."
        )

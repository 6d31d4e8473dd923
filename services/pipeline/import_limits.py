"""What an uploaded model declares, checked from its metadata before Keras reads anything.

Keras allocates before it checks: it builds (and initialises) every layer the config
declares, then reads the weights into them. So a 25 KB ``.h5`` could make the model worker
allocate gigabytes: by declaring a 1 GiB tensor (HDF5 allocates storage lazily, and reading
an unwritten dataset returns its fill value at full size), or by a config declaring a
layer of a billion weights, or one whose output for a single picture is gigabytes. A file
could also keep its weights in another file of the server's disk (external storage,
virtual datasets, external links). These checks read only the config (JSON), the HDF5
headers (every link's kind, every dataset's shape, type and storage; no data) and the
TensorFlow.js manifest:

- the input is a square RGB picture of :data:`MIN_INPUT_SIZE` to :data:`MAX_INPUT_SIZE`;
- following the config layer by layer, no weight tensor and not all of them together hold
  more than :data:`MAX_PARAMETERS` values, no layer outputs more than
  :data:`MAX_LAYER_OUTPUT_VALUES` values per picture, nor all layers together more than
  :data:`MAX_OUTPUT_VALUES`;
- in an HDF5 file, no dataset declares more than :data:`MAX_PARAMETERS` values, the model's
  datasets together no more than :data:`MAX_PARAMETERS` values or :data:`MAX_WEIGHT_BYTES`
  bytes (an optimizer's state, which is never loaded, is not counted), every dataset holds
  the bytes its shape declares, and none is stored or linked outside the file;
- in a TensorFlow.js manifest, every shard is a plain file name among the uploaded files,
  every tensor has a known type and a shape within the bounds, and the tensors add up to
  exactly the bytes of the shards.

The bounds are sized from what CNN 101 shows: a Tiny VGG has about 30 thousand parameters
and layers of at most 64x64x32 values.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# import_formats imports this module inside its functions, never at its top.
from services.pipeline.import_formats import ImportRejected, SourceLayer

__all__ = [
    "DTYPES",
    "MAX_INPUT_SIZE",
    "MAX_LAYER_OUTPUT_VALUES",
    "MAX_OUTPUT_VALUES",
    "MAX_PARAMETERS",
    "MAX_WEIGHT_BYTES",
    "MIN_INPUT_SIZE",
    "ShardedTensor",
    "check_declared_sizes",
    "check_hdf5",
    "check_hdf5_bytes",
    "check_tfjs_manifest",
    "square_input",
]

#: The most weights a model may have, one tensor or all of them (Tiny VGG: ~30 thousand).
MAX_PARAMETERS = 20_000_000
#: The most bytes the weights may declare: 20 M float32 values, 80 MB.
MAX_WEIGHT_BYTES = 4 * MAX_PARAMETERS
#: The most values one layer may output for one picture (128x128x256: 16 MB in float32).
MAX_LAYER_OUTPUT_VALUES = 128 * 128 * 256
#: The most values all layers together may output for one picture (64 MB in float32).
MAX_OUTPUT_VALUES = 4 * MAX_LAYER_OUTPUT_VALUES
MIN_INPUT_SIZE, MAX_INPUT_SIZE = 8, 128
#: Where Keras keeps an optimizer's state in a ``.h5`` and in a ``.keras``'s weights; a
#: model is loaded without it (``compile=False``), so it is not counted as parameters.
OPTIMIZER_GROUPS = ("/optimizer_weights/", "/optimizer/")
#: The tensor types a TensorFlow.js manifest may declare.
DTYPES = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4")}
#: A shard's name in the manifest: a file name as the studio accepts one, no folder.
PLAIN_FILE_NAME = re.compile(r"(?!\.)[\w.\- ]{1,255}")


# --- the config: what Keras will build ---


def square_input(shape: Sequence[int | None]) -> int:
    """The side of the square RGB input ``shape`` (height, width, channels) describes."""
    if len(shape) != 3 or any(d is None for d in shape):
        raise ImportRejected(
            f"The model's input shape {list(shape)} is not a fixed height x width x 3 image; "
            "give it an Input of shape (size, size, 3)."
        )
    height, width, channels = (int(d) for d in shape if d is not None)
    if channels != 3:
        raise ImportRejected(
            f"The model takes {channels}-channel input ({height}x{width}x{channels}); CNN 101 "
            "feeds RGB images (3 channels)."
        )
    if height != width:
        raise ImportRejected(
            f"The model's input is {height}x{width}, not square; CNN 101 feeds square images."
        )
    if not MIN_INPUT_SIZE <= height <= MAX_INPUT_SIZE:
        raise ImportRejected(
            f"The model's input is {height}x{width}; CNN 101 shows inputs from "
            f"{MIN_INPUT_SIZE} to {MAX_INPUT_SIZE} pixels square."
        )
    return height


def _positive(value: Any, what: str, layer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ImportRejected(f"Layer {layer!r}: {what} {value!r} is not a positive integer.")
    if value < 1:
        raise ImportRejected(f"Layer {layer!r}: {what} {value!r} is not a positive integer.")
    return int(value)


def _pair(value: Any, what: str, layer: str) -> tuple[int, int]:
    items = list(value) if isinstance(value, list | tuple) else [value, value]
    if len(items) != 2:
        raise ImportRejected(f"Layer {layer!r}: {what} {value!r} is not two positive integers.")
    first, second = (_positive(item, what, layer) for item in items)
    return first, second


def _side(size: int, window: int, stride: int, padding: str) -> int:
    """The output side of a window sliding over ``size`` (at least 1: an upper bound)."""
    if padding == "same":
        return -(-size // stride)
    return max(1, (size - window) // stride + 1)


@dataclass
class _Shape:
    """The feature map after a layer, for one picture."""

    height: int
    width: int
    channels: int

    @property
    def values(self) -> int:
        return self.height * self.width * self.channels

    def __str__(self) -> str:
        return f"{self.height}x{self.width}x{self.channels}"


def _weights_of(layer: SourceLayer, shape: _Shape) -> tuple[list[int], _Shape]:
    """The sizes of the weight tensors Keras makes for ``layer``, and its output shape."""
    config, name = layer.config, layer.name
    if config.get("data_format") not in (None, "channels_last"):
        raise ImportRejected(
            f"Layer {name!r} uses data_format {config['data_format']!r}; "
            "CNN 101 reads images as height x width x channels (channels_last)."
        )
    bias = bool(config.get("use_bias", True))
    if layer.class_name in ("Conv2D", "Convolution2D"):
        filters = _positive(config.get("filters"), "filters", name)
        kernel = _pair(config.get("kernel_size"), "kernel_size", name)
        strides = _pair(config.get("strides", 1), "strides", name)
        padding = str(config.get("padding", "valid")).lower()
        out = _Shape(
            _side(shape.height, kernel[0], strides[0], padding),
            _side(shape.width, kernel[1], strides[1], padding),
            filters,
        )
        weights = [kernel[0] * kernel[1] * shape.channels * filters] + [filters] * bias
        return weights, out
    if layer.class_name == "Dense":  # on the last axis, as Keras applies it
        units = _positive(config.get("units"), "units", name)
        weights = [shape.channels * units] + [units] * bias
        return weights, _Shape(shape.height, shape.width, units)
    if layer.class_name in ("MaxPooling2D", "MaxPool2D"):
        pool = _pair(config.get("pool_size", 2), "pool_size", name)
        strides = _pair(config.get("strides") or pool, "strides", name)
        padding = str(config.get("padding", "valid")).lower()
        out = _Shape(
            _side(shape.height, pool[0], strides[0], padding),
            _side(shape.width, pool[1], strides[1], padding),
            shape.channels,
        )
        return [], out
    if layer.class_name == "Flatten":
        return [], _Shape(1, 1, shape.values)
    if layer.class_name == "BatchNormalization":  # gamma, beta, moving mean and variance
        channels = max(shape.height, shape.width, shape.channels)  # whichever axis it is
        return [channels] * 4, shape
    return [], shape  # input, activations, dropout, rescaling: no weights, same shape


def check_declared_sizes(
    input_shape: Sequence[int | None], layers: Sequence[SourceLayer], filename: str
) -> None:
    """Refuse a config whose input is not a CNN 101 picture, or whose layers, as declared,
    would hold too many weights or output too many values for one picture."""
    side = square_input(input_shape)
    shape = _Shape(side, side, 3)
    parameters = outputs = 0
    for layer in layers:
        weights, shape = _weights_of(layer, shape)
        declared = sum(weights)
        if declared > MAX_PARAMETERS:
            raise ImportRejected(
                f"{filename}: layer {layer.name!r} declares {declared:,} parameters; a model "
                f"may have at most {MAX_PARAMETERS:,}."
            )
        parameters += declared
        if shape.values > MAX_LAYER_OUTPUT_VALUES:
            raise ImportRejected(
                f"{filename}: layer {layer.name!r} outputs {shape} = {shape.values:,} values for "
                f"each picture; at most {MAX_LAYER_OUTPUT_VALUES:,} (128x128x256) are allowed: "
                "use fewer filters or pool earlier."
            )
        outputs += shape.values
    if parameters > MAX_PARAMETERS:
        raise ImportRejected(
            f"{filename}: the layers declare {parameters:,} parameters together; a model may "
            f"have at most {MAX_PARAMETERS:,}."
        )
    if outputs > MAX_OUTPUT_VALUES:
        raise ImportRejected(
            f"{filename}: the layers output {outputs:,} values together for each picture; at "
            f"most {MAX_OUTPUT_VALUES:,} are allowed: use fewer filters or pool earlier."
        )


# --- HDF5: the .h5 file, or the weights inside a .keras ---


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
    """Refuse links out of the file, external or virtual storage, datasets declaring more
    than they hold, and oversized tensors; read from the headers, no data."""
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
            shape = tuple(item.shape) if item.shape is not None else None
            count = 0 if shape is None else math.prod(shape)
            if count > MAX_PARAMETERS:
                raise ImportRejected(
                    f"{filename} declares {where} with shape {shape} ({count:,} values); a "
                    f"model may have at most {MAX_PARAMETERS:,} parameters."
                )
            declared = count * item.dtype.itemsize
            _check_stored(item, where, shape, declared, filename)
            if not where.startswith(OPTIMIZER_GROUPS):
                parameters += count
                weight_bytes += declared
    if parameters > MAX_PARAMETERS or weight_bytes > MAX_WEIGHT_BYTES:
        raise ImportRejected(
            f"{filename} declares {parameters:,} values ({weight_bytes / 1e6:.0f} MB) in all; "
            f"a model may have at most {MAX_PARAMETERS:,} parameters "
            f"({MAX_WEIGHT_BYTES // 1_000_000} MB)."
        )


def _check_stored(
    item: Any, where: str, shape: tuple[int, ...] | None, declared: int, filename: str
) -> None:
    """The dataset holds the bytes its shape declares (compressed ones: some bytes), so
    nothing is made up from a fill value on reading."""
    if not declared:
        return
    stored = int(item.id.get_storage_size())
    compressed = item.id.get_create_plist().get_nfilters() > 0
    if stored == 0 or (stored < declared and not compressed):
        raise ImportRejected(
            f"{filename} declares {where} as {shape} {item.dtype} ({declared:,} bytes) but "
            f"holds {stored:,} bytes of it: the file is truncated or was not saved by Keras."
        )


# --- TensorFlow.js: model.json's weightsManifest and the uploaded shards ---


@dataclass(frozen=True)
class ShardedTensor:
    """One tensor of a weight group: its name, type, shape, and place in the group's bytes."""

    name: str
    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    offset: int

    @property
    def count(self) -> int:
        return math.prod(self.shape)


def check_tfjs_manifest(
    manifest: Any, files: Mapping[str, bytes], json_name: str
) -> list[tuple[list[str], list[ShardedTensor]]]:
    """Every weight group as ``(uploaded shard names, tensors)``, checked against the bounds
    and the shards' sizes before any byte of them is read."""
    if not isinstance(manifest, list):
        raise ImportRejected(f"{json_name} has no weightsManifest.")
    available = {Path(name).name: len(content) for name, content in files.items()}
    groups: list[tuple[list[str], list[ShardedTensor]]] = []
    parameters = 0
    for group in manifest:
        paths, tensors = _group(group, available, json_name)
        parameters += sum(tensor.count for tensor in tensors)
        groups.append((paths, tensors))
    if parameters > MAX_PARAMETERS:
        raise ImportRejected(
            f"{json_name} declares {parameters:,} weight values in all; a model may have at "
            f"most {MAX_PARAMETERS:,} parameters."
        )
    return groups


def _group(
    group: Any, available: Mapping[str, int], json_name: str
) -> tuple[list[str], list[ShardedTensor]]:
    if not isinstance(group, dict):
        raise ImportRejected(f"{json_name}: a weightsManifest entry is not an object.")
    paths, specs = group.get("paths"), group.get("weights")
    if not isinstance(paths, list) or not isinstance(specs, list):
        raise ImportRejected(f"{json_name}: a weight group lacks 'paths' or 'weights'.")
    for path in paths:
        if not isinstance(path, str) or not PLAIN_FILE_NAME.fullmatch(path):
            raise ImportRejected(
                f"{json_name} names the weight shard {path!r}: shards must be plain file "
                "names, uploaded together with model.json (no folders or addresses)."
            )
    missing = [p for p in paths if p not in available]
    if missing:
        raise ImportRejected(
            f"Weight shard {', '.join(missing)} named in {json_name} was not uploaded; "
            "upload model.json together with all its .bin files."
        )
    size = sum(available[p] for p in paths)
    offset = 0
    tensors: list[ShardedTensor] = []
    for spec in specs:
        tensor = _tensor(spec, offset, json_name)
        offset += tensor.count * tensor.dtype.itemsize
        if offset > size:
            raise ImportRejected(
                f"The weight shards of {json_name} end before weight {tensor.name!r}: a shard "
                "is truncated or missing."
            )
        tensors.append(tensor)
    if offset != size:
        raise ImportRejected(
            f"The weight shards of {json_name} hold {size - offset} bytes more than "
            "its manifest describes."
        )
    return list(paths), tensors


def _tensor(spec: Any, offset: int, json_name: str) -> ShardedTensor:
    """One entry of a group's ``weights``, at ``offset`` in the group's bytes."""
    if not isinstance(spec, dict) or "name" not in spec or "shape" not in spec:
        raise ImportRejected(f"{json_name}: a weight entry lacks its name or shape.")
    name = str(spec["name"])
    if spec.get("quantization"):
        raise ImportRejected(
            f"Weight {name!r} is quantized; convert the model without quantization "
            "(float32 weights) to import it exactly."
        )
    dtype = DTYPES.get(str(spec.get("dtype", "float32")))
    if dtype is None:
        raise ImportRejected(f"Weight {name!r} has dtype {spec.get('dtype')!r}; use float32.")
    dims = spec["shape"]
    if not isinstance(dims, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) for d in dims
    ):
        raise ImportRejected(f"Weight {name!r} has an invalid shape.")
    if any(d < 0 for d in dims):
        raise ImportRejected(f"Weight {name!r} has an invalid shape {dims}.")
    tensor = ShardedTensor(name, dtype, tuple(dims), offset)
    if tensor.count > MAX_PARAMETERS:
        raise ImportRejected(
            f"{json_name} declares weight {name!r} with shape {dims} ({tensor.count:,} "
            f"values); a model may have at most {MAX_PARAMETERS:,} parameters."
        )
    return tensor

"""Read an uploaded model file into plain data (a layer chain and named weights), never code.

Three formats: a Keras 3 ``.keras`` archive (a zip holding ``config.json`` and
``model.weights.h5``), a legacy Keras ``.h5`` file (the config in the ``model_config``
attribute), and a TensorFlow.js layers model (``model.json`` with ``modelTopology`` and a
``weightsManifest`` pointing at binary shards). The config is checked against a short list
of built-in layer classes *before* Keras is asked to load anything, so a Lambda or custom
layer is refused by name and no uploaded code ever runs (Keras also loads with
``safe_mode=True``). Before Keras too, what the file declares is bounded from its metadata
alone (``*_config`` here, with services/pipeline/import_limits.py): the sizes of the layers
Keras would build, the HDF5 datasets, the TensorFlow.js manifest.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # import_limits imports this module: it is imported in the functions
    from services.pipeline.import_limits import ShardedTensor

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_LAYERS = 100

#: Layer classes we read (Keras 2 aliases included); everything else is refused by name.
KNOWN_CLASSES = frozenset(
    {
        "InputLayer",
        "Conv2D",
        "Convolution2D",
        "Dense",
        "Flatten",
        "MaxPooling2D",
        "MaxPool2D",
        "ReLU",
        "Activation",
        "Softmax",
        "Dropout",
        "Rescaling",
        "BatchNormalization",
    }
)
MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})


class ImportRejected(ValueError):  # noqa: N818 - the name is the agreed interface
    """The upload cannot become a CNN 101 model; the message says why, for a teacher."""


@dataclass
class SourceLayer:
    """One layer of the uploaded model, as its config describes it."""

    name: str
    class_name: str
    config: dict[str, Any]
    weights: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class SourceModel:
    """The uploaded model as a chain of layers, input shape first."""

    format: str
    input_shape: list[int | None]
    layers: list[SourceLayer]
    #: The model as Keras loaded it (Keras formats only), to check the conversion against.
    reference: Any = None


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ImportRejected(f"{what} is not valid JSON ({error}).") from None


def _inbound_names(node: Any) -> list[str]:
    """Layer names a node reads from, in Keras 3 (``keras_history``) or Keras 2 form."""
    if isinstance(node, dict):
        if "keras_history" in node:
            return [str(node["keras_history"][0])]
        return [name for value in node.values() for name in _inbound_names(value)]
    if isinstance(node, list):
        if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):
            return [node[0]]
        return [name for item in node for name in _inbound_names(item)]
    return []


def _layer_name(entry: dict[str, Any]) -> str:
    config = entry.get("config") or {}
    return str(entry.get("name") or config.get("name") or entry.get("class_name", "?"))


def _shape(value: Any) -> list[int | None] | None:
    if not isinstance(value, list) or not value:
        return None
    if isinstance(value[0], list):  # a list of input shapes
        return None
    return [None if d is None else int(d) for d in value[1:]]


def _foreign_code(value: Any) -> str | None:
    """A reference to code outside Keras anywhere in a layer's config (a custom object)."""
    if isinstance(value, dict):
        module = value.get("module")
        if value.get("class_name") in ("__lambda__", "function") or (
            module is not None and not str(module).startswith("keras")
        ):
            return str(value.get("registered_name") or value.get("config") or module)
        return next((found for v in value.values() if (found := _foreign_code(v))), None)
    if isinstance(value, list):
        return next((found for v in value if (found := _foreign_code(v))), None)
    return None


def _check_entry(entry: Any) -> None:
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ImportRejected("The model config holds a layer entry without a class name.")
    class_name = str(entry["class_name"])
    name = _layer_name(entry)
    if class_name in MODEL_CLASSES:
        raise ImportRejected(
            f"Layer {name!r} is a nested model ({class_name}); flatten it into one "
            "sequential model of conv / relu / max-pool / flatten / dense layers."
        )
    if class_name == "Lambda":
        raise ImportRejected(
            f"Layer {name!r} is a Lambda layer: it holds Python code, which we never run. "
            "Replace it with built-in layers."
        )
    registered = entry.get("registered_name")
    module = entry.get("module")
    custom = (registered not in (None, class_name) and not str(registered).startswith("keras")) or (
        module is not None and not str(module).startswith("keras")
    )
    foreign = _foreign_code(entry.get("config"))
    if foreign is not None:
        raise ImportRejected(
            f"Layer {name!r} refers to custom code ({foreign}), which we never run; use "
            "built-in layers, activations and initializers only."
        )
    if custom or class_name not in KNOWN_CLASSES:
        raise ImportRejected(
            f"Layer {name!r} of type {class_name} is not supported: CNN 101 shows Conv2D, "
            "ReLU, MaxPooling2D, Flatten, Dense and Softmax layers (plus Dropout, InputLayer "
            "and BatchNormalization folded into the layer before it)."
        )


def chain_from_config(model_config: Any) -> tuple[list[int | None] | None, list[SourceLayer]]:
    """The layers of a Sequential or strictly linear Functional config, in data-flow order."""
    if not isinstance(model_config, dict):
        raise ImportRejected("The model config is not a Keras model description.")
    class_name = model_config.get("class_name")
    config = model_config.get("config")
    if class_name not in MODEL_CLASSES:
        raise ImportRejected(
            f"The file describes a {class_name!r}, not a Keras Sequential or Functional model."
        )
    entries = config if isinstance(config, list) else (config or {}).get("layers")
    if not isinstance(entries, list) or not entries:
        raise ImportRejected("The model config lists no layers.")
    if len(entries) > MAX_LAYERS:
        raise ImportRejected(
            f"The model has {len(entries)} layers; at most {MAX_LAYERS} are allowed."
        )
    if not all(isinstance(entry, dict) for entry in entries):
        raise ImportRejected("The model config holds a layer entry that is not an object.")
    if class_name != "Sequential":  # branches first: they say more than a merge layer's type
        entries = _linear_order(entries, config if isinstance(config, dict) else {})
    for entry in entries:
        _check_entry(entry)
    build = model_config.get("build_config") or {}
    input_shape = _shape(build.get("input_shape")) if isinstance(build, dict) else None
    layers = [
        SourceLayer(_layer_name(e), str(e["class_name"]), dict(e.get("config") or {}))
        for e in entries
    ]
    for layer in layers:
        shape = _shape(layer.config.get("batch_shape") or layer.config.get("batch_input_shape"))
        if shape is not None and input_shape is None:
            input_shape = shape
    return input_shape, layers


def _linear_order(entries: list[dict[str, Any]], config: dict[str, Any]) -> list[dict[str, Any]]:
    """Order a Functional model's layers along its one path, or refuse a graph that branches."""
    by_name = {_layer_name(e): e for e in entries}
    readers: dict[str, list[str]] = {name: [] for name in by_name}
    for name, entry in by_name.items():
        nodes = entry.get("inbound_nodes") or []
        if len(nodes) > 1:
            raise ImportRejected(
                f"Layer {name!r} is used more than once (shared layers); CNN 101 shows a "
                "single chain of layers."
            )
        sources = _inbound_names(nodes[0]) if nodes else []
        if len(sources) > 1:
            raise ImportRejected(
                f"Layer {name!r} merges {len(sources)} inputs ({', '.join(sources)}): the model "
                "branches, and CNN 101 shows a single chain of layers."
            )
        for source in sources:
            if source not in readers:
                raise ImportRejected(f"Layer {name!r} reads from an unknown layer {source!r}.")
            readers[source].append(name)
    for name, users in readers.items():
        if len(users) > 1:
            raise ImportRejected(
                f"The output of layer {name!r} feeds {len(users)} layers ({', '.join(users)}): "
                "the model branches, and CNN 101 shows a single chain of layers."
            )
    starts = [n for n, e in by_name.items() if not _inbound_names(e.get("inbound_nodes") or [])]
    if len(starts) != 1:
        raise ImportRejected(f"The model has {len(starts)} inputs; CNN 101 needs exactly one.")
    ordered = [starts[0]]
    while readers[ordered[-1]]:
        ordered.append(readers[ordered[-1]][0])
    if len(ordered) != len(by_name):
        unused = sorted(set(by_name) - set(ordered))
        raise ImportRejected(
            f"Layers {', '.join(unused)} are not on the path from input to output."
        )
    outputs = _inbound_names(config.get("output_layers") or [])
    if outputs and outputs != [ordered[-1]]:
        raise ImportRejected(
            f"The model's outputs ({', '.join(outputs)}) are not its last layer "
            f"{ordered[-1]!r}; CNN 101 needs one output, the class probabilities."
        )
    return [by_name[name] for name in ordered]


def variable_role(variable_path: str) -> str:
    """``kernel`` of ``conv_1/kernel:0``: the weight's role in its layer."""
    return variable_path.rsplit("/", maxsplit=1)[-1].split(":", maxsplit=1)[0]


def _safe_zip(data: bytes, filename: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRejected(
            f"{filename} is not a Keras archive (a .keras file is a zip); it may be truncated."
        ) from None
    total = sum(member.file_size for member in members)
    if total > MAX_UNZIPPED_BYTES:
        raise ImportRejected(
            f"{filename} unpacks to {total / 2**20:.0f} MB; at most "
            f"{MAX_UNZIPPED_BYTES // 2**20} MB are allowed."
        )
    for member in members:
        if member.filename.startswith("/") or ".." in Path(member.filename).parts:
            raise ImportRejected(f"{filename} holds an unsafe path {member.filename!r}.")
    return archive


def keras_archive_config(
    data: bytes, filename: str, *, hdf5: bool = True
) -> tuple[list[int | None], list[SourceLayer]]:
    """A ``.keras`` file's input shape and layers, checked from its config and (``hdf5``)
    its weights' HDF5 headers, before Keras reads it (services/pipeline/import_limits.py)."""
    from services.pipeline.import_limits import check_declared_sizes, check_hdf5_bytes

    archive = _safe_zip(data, filename)
    names = set(archive.namelist())
    if "config.json" not in names:
        raise ImportRejected(f"{filename} has no config.json: it is not a Keras model archive.")
    try:
        config_bytes = archive.read("config.json")
        archive.testzip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ImportRejected(f"{filename} is damaged or truncated ({error}).") from None
    input_shape, layers = chain_from_config(_json(config_bytes, f"config.json in {filename}"))
    check_declared_sizes(input_shape or [], layers, filename)
    for member in sorted(n for n in names if n.endswith((".h5", ".hdf5"))) if hdf5 else ():
        check_hdf5_bytes(archive.read(member), f"{member} in {filename}")
    return input_shape or [], layers


def h5_config(data: bytes, filename: str) -> tuple[list[int | None], list[SourceLayer]]:
    """A legacy ``.h5`` file's input shape and layers, checked from its HDF5 headers and its
    config before Keras reads it (services/pipeline/import_limits.py)."""
    import h5py  # type: ignore[import-untyped]

    from services.pipeline.import_limits import check_declared_sizes, check_hdf5

    try:
        with h5py.File(io.BytesIO(data), "r") as h5:
            raw = h5.attrs.get("model_config")
            check_hdf5(h5, filename)  # before Keras allocates or follows anything
    except ImportRejected:
        raise
    except (OSError, ValueError) as error:
        raise ImportRejected(f"{filename} is not a readable HDF5 file ({error}).") from None
    if raw is None:
        raise ImportRejected(
            f"{filename} holds no model config (weights only?): save the whole model."
        )
    text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    input_shape, layers = chain_from_config(_json(text.encode(), f"model config of {filename}"))
    check_declared_sizes(input_shape or [], layers, filename)
    return input_shape or [], layers


def tfjs_config(
    files: Mapping[str, bytes], json_name: str
) -> tuple[list[int | None], list[SourceLayer], list[tuple[list[str], list[ShardedTensor]]]]:
    """A TensorFlow.js model's input shape, layers and weight groups, checked from
    ``model.json`` and the shards' sizes (services/pipeline/import_limits.py)."""
    from services.pipeline.import_limits import check_declared_sizes, check_tfjs_manifest

    document = _json(files[json_name], json_name)
    if not isinstance(document, dict):
        raise ImportRejected(f"{json_name} is not a TensorFlow.js model.json.")
    if document.get("format") not in (None, "layers-model"):
        raise ImportRejected(
            f"{json_name} is a {document.get('format')!r}; only TensorFlow.js *layers* models "
            "(format 'layers-model') can be imported."
        )
    topology = document.get("modelTopology")
    if not isinstance(topology, dict):
        raise ImportRejected(f"{json_name} has no modelTopology.")
    model_config = topology.get("model_config", topology)
    input_shape, layers = chain_from_config(model_config)
    check_declared_sizes(input_shape or [], layers, json_name)
    groups = check_tfjs_manifest(document.get("weightsManifest"), files, json_name)
    return input_shape or [], layers, groups

"""Import a teacher's own Keras or TensorFlow.js CNN as a CNN 101 model version.

The upload is read as data (``import_formats``), checked (``import_upload``), converted
layer by layer (``import_conversion``) into the plain network the views draw: linear
Conv2D / Dense layers with their ReLU and Softmax as separate layers, MaxPooling2D and
Flatten. Only rewrites that compute exactly the same function are made (a fused activation
split off, Dropout and a 1/255 Rescaling dropped, BatchNormalization folded into the conv
or dense layer before it, a missing final softmax added); anything else is refused with an
:class:`ImportRejected` that names the layer. The rebuilt network must compute what the
upload does (``import_rebuild``); the result goes through the ordinary exporter, so it is
served like a trained model, with its own card (``import_card``). This module ties the
steps together and keeps the names its callers import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from services.pipeline.import_card import FORMAT_LABELS, render_import_card
from services.pipeline.import_conversion import Conversion, Step, convert_layers
from services.pipeline.import_formats import MAX_LAYERS, ImportRejected, SourceModel
from services.pipeline.import_rebuild import build_keras, check_reproduces
from services.pipeline.import_upload import (
    LABEL_FILES,
    MAX_CLASSES,
    MAX_INPUT_SIZE,
    MAX_PARAMETERS,
    MAX_UPLOAD_BYTES,
    MIN_INPUT_SIZE,
    class_list,
    input_size,
    read_upload,
)

__all__ = [
    "CARD_PATH",
    "FORMAT_LABELS",
    "LABEL_FILES",
    "MAX_CLASSES",
    "MAX_INPUT_SIZE",
    "MAX_PARAMETERS",
    "MAX_UPLOAD_BYTES",
    "MIN_INPUT_SIZE",
    "MODEL_NAME",
    "Conversion",
    "ImportRejected",
    "Step",
    "convert",
    "import_model",
    "render_import_card",
]

MODEL_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.ASCII)
CARD_PATH = Path("assets.extra") / "README.md"


def convert(files: Mapping[str, bytes]) -> tuple[SourceModel, Conversion, int]:
    """Read and check an upload; return the source, what it becomes, the input size."""
    source = read_upload(files)
    size = input_size(source)
    if len(source.layers) > MAX_LAYERS:
        raise ImportRejected(
            f"The model has {len(source.layers)} layers; at most {MAX_LAYERS} are allowed."
        )
    conversion = convert_layers(source, size)
    parameters = sum(
        s.kernel.size + s.bias.size
        for s in conversion.steps
        if s.kernel is not None and s.bias is not None
    )
    if parameters > MAX_PARAMETERS:
        raise ImportRejected(
            f"The model has {parameters:,} parameters; at most {MAX_PARAMETERS:,} are allowed."
        )
    return source, conversion, size


def import_model(
    files: Mapping[str, bytes],
    *,
    base_path: Path,
    name: str,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Path:
    """Check, convert and export an uploaded model; return ``base_path/name/<version>``."""
    from services.pipeline.export import export_model

    if not MODEL_NAME.fullmatch(name):
        raise ImportRejected(
            f"Model name {name!r}: use 1-40 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit."
        )
    source, conversion, size = convert(files)
    dense = next(s for s in conversion.steps if s.kind == "dense")
    classes = class_list(files, class_names, int(dense.config["units"]))
    model = build_keras(conversion.steps, size)
    check_reproduces(source, conversion, model, size)
    parameters = int(model.count_params())
    summary: dict[str, Any] = {
        "imported": True,
        "title": title or name,
        "source_format": source.format,
        "source_format_label": FORMAT_LABELS[source.format],
        "files": sorted(Path(f).name for f in files),
        "input_size": size,
        "parameters": parameters,
        "source_layers": [
            {"name": layer.name, "class_name": layer.class_name} for layer in source.layers
        ],
        "layer_map": conversion.layer_map,
        "notes": conversion.notes,
        "input_scale_255": conversion.rescale_255,
    }
    version_dir = export_model(model, base_path, name, classes, summary=summary)
    card = render_import_card(name, int(version_dir.name), summary, classes)
    staging = version_dir / CARD_PATH.with_suffix(".md.tmp")
    staging.write_text(card, encoding="utf-8")
    staging.replace(version_dir / CARD_PATH)
    return version_dir

"""Import a teacher's own Keras or TensorFlow.js CNN as a CNN 101 model version.

The upload is read as data (``import_formats``), checked layer by layer, and rebuilt as the
plain network the views draw: linear Conv2D / Dense layers with their ReLU and Softmax as
separate layers, MaxPooling2D and Flatten. Only rewrites that compute exactly the same
function are made (a fused activation split off, Dropout and a 1/255 Rescaling dropped,
BatchNormalization folded into the conv or dense layer before it, a missing final softmax
added); anything else is refused with an :class:`ImportRejected` that names the layer. The
result goes through the ordinary exporter, so it is served like a trained model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from services.pipeline.classes import ImageClass
from services.pipeline.import_formats import (
    MAX_LAYERS,
    ImportRejected,
    SourceLayer,
    SourceModel,
    read_h5,
    read_keras_archive,
    read_tfjs,
)

__all__ = ["MAX_PARAMETERS", "MAX_UPLOAD_BYTES", "ImportRejected", "import_model"]

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_PARAMETERS = 20_000_000
MIN_INPUT_SIZE, MAX_INPUT_SIZE = 8, 128
MAX_CLASSES = 1000
MODEL_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.ASCII)
LABEL_FILES = ("labels.txt", "classes.txt")
CARD_PATH = Path("assets.extra") / "README.md"


@dataclass
class Step:
    """One layer of the network we build: its view type, name, settings and weights."""

    kind: str
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    kernel: np.ndarray | None = None
    bias: np.ndarray | None = None


@dataclass
class Conversion:
    """What became of every source layer, for the model card and the tests."""

    steps: list[Step] = field(default_factory=list)
    layer_map: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rescale_255: bool = False


def _pair(value: Any, what: str, layer: str) -> tuple[int, int]:
    items = [value, value] if isinstance(value, int) else list(value or [])
    if len(items) != 2 or not all(isinstance(v, int) and v > 0 for v in items):
        raise ImportRejected(f"Layer {layer!r}: {what} {value!r} is not two positive integers.")
    return int(items[0]), int(items[1])


def _activation(value: Any) -> str:
    if value is None:
        return "linear"
    if isinstance(value, dict):
        inner = value.get("config")
        value = inner if isinstance(inner, str) else value.get("class_name")
    return str(value).lower()


def _channels_last(layer: SourceLayer) -> None:
    if layer.config.get("data_format") not in (None, "channels_last"):
        raise ImportRejected(
            f"Layer {layer.name!r} uses data_format {layer.config['data_format']!r}; "
            "CNN 101 reads images as height x width x channels (channels_last)."
        )


class _Builder:
    """Turns the checked source chain into steps, one source layer at a time."""

    def __init__(self, source: SourceModel, size: int) -> None:
        self.source = source
        self.out = Conversion()
        self.names: set[str] = set()
        self.height = self.width = size
        self.channels = 3
        self.flat: int | None = None

    def name(self, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_-]", "_", wanted).strip("_") or "layer"
        candidate, n = base, 1
        while candidate in self.names or candidate == "input":
            n += 1
            candidate = f"{base}_{n}"
        self.names.add(candidate)
        return candidate

    def add(self, layer: SourceLayer, steps: list[Step], note: str | None = None) -> None:
        self.out.steps.extend(steps)
        became = [s.name for s in steps] or (
            [self.out.steps[-1].name] if self.out.steps else ["input"]
        )
        entry: dict[str, Any] = {"source": layer.name, "class_name": layer.class_name}
        entry["became"] = became
        entry["output"] = became[-1]
        if note:
            entry["note"] = note
            self.out.notes.append(f"{layer.name}: {note}")
        self.out.layer_map.append(entry)

    @property
    def kinds(self) -> list[str]:
        return [s.kind for s in self.out.steps]

    def activation_steps(self, layer: SourceLayer, activation: str) -> list[Step]:
        if activation == "linear":
            return []
        if activation == "relu":
            return [Step("relu", self.name(f"{layer.name}_relu"))]
        if activation == "softmax":
            return [Step("softmax", self.name(f"{layer.name}_softmax"))]
        raise ImportRejected(
            f"Layer {layer.name!r} uses the activation {activation!r}; CNN 101 shows only "
            "ReLU and softmax."
        )

    def weights(
        self, layer: SourceLayer, kernel_shape: tuple[int, ...], use_bias: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        kernel = layer.weights.get("kernel")
        if kernel is None or tuple(kernel.shape) != kernel_shape:
            found = None if kernel is None else list(kernel.shape)
            raise ImportRejected(
                f"Layer {layer.name!r}: expected a kernel of shape {list(kernel_shape)}, "
                f"found {found} in the weights."
            )
        bias = layer.weights.get("bias") if use_bias else np.zeros(kernel_shape[-1], np.float32)
        if bias is None or tuple(bias.shape) != (kernel_shape[-1],):
            raise ImportRejected(f"Layer {layer.name!r}: its bias is missing or misshapen.")
        return kernel.astype(np.float32), bias.astype(np.float32)

    def conv(self, layer: SourceLayer) -> None:
        config = layer.config
        _channels_last(layer)
        if self.flat is not None:
            raise ImportRejected(f"Conv2D {layer.name!r} comes after Flatten.")
        kernel_size = _pair(config.get("kernel_size"), "kernel_size", layer.name)
        strides = _pair(config.get("strides", 1), "strides", layer.name)
        dilation = _pair(config.get("dilation_rate", 1), "dilation_rate", layer.name)
        if dilation != (1, 1):
            raise ImportRejected(
                f"Conv2D {layer.name!r} is dilated ({dilation}); the views show only "
                "ordinary (dilation 1) convolutions."
            )
        if int(config.get("groups", 1)) != 1:
            raise ImportRejected(f"Conv2D {layer.name!r} is a grouped convolution.")
        if kernel_size[0] != kernel_size[1] or strides[0] != strides[1]:
            raise ImportRejected(
                f"Conv2D {layer.name!r} has a non-square kernel {kernel_size} or stride "
                f"{strides}; the views show square ones."
            )
        padding = str(config.get("padding", "valid")).lower()
        if padding not in ("valid", "same"):
            raise ImportRejected(f"Conv2D {layer.name!r} uses padding {padding!r}.")
        filters = int(config.get("filters", 0))
        k, s = kernel_size[0], strides[0]
        kernel, bias = self.weights(
            layer, (k, k, self.channels, filters), bool(config.get("use_bias", True))
        )
        if padding == "valid":
            if self.height < k:
                raise ImportRejected(
                    f"Conv2D {layer.name!r}: its {k}x{k} kernel is larger than its "
                    f"{self.height}x{self.width} input."
                )
            self.height = (self.height - k) // s + 1
        else:
            self.height = -(-self.height // s)
        self.width, self.channels = self.height, filters
        step = Step(
            "conv",
            self.name(layer.name),
            {"kernel_size": k, "strides": s, "padding": padding, "filters": filters},
            kernel,
            bias,
        )
        activation = _activation(config.get("activation"))
        extra = self.activation_steps(layer, activation)
        if extra and extra[0].kind == "softmax":
            raise ImportRejected(f"Conv2D {layer.name!r} ends in a softmax; only the output may.")
        note = f"its fused {activation} became a separate layer" if extra else None
        self.add(layer, [step, *extra], note)

    def dense(self, layer: SourceLayer) -> None:
        if self.flat is None:
            raise ImportRejected(
                f"Dense {layer.name!r} reads a feature map: add a Flatten layer before it."
            )
        if "dense" in self.kinds:
            raise ImportRejected(
                f"Dense {layer.name!r} is a second dense layer: CNN 101 shows one dense "
                "(output) layer after Flatten."
            )
        units = int(layer.config.get("units", 0))
        kernel, bias = self.weights(
            layer, (self.flat, units), bool(layer.config.get("use_bias", True))
        )
        step = Step("dense", self.name(layer.name), {"units": units}, kernel, bias)
        activation = _activation(layer.config.get("activation"))
        extra = self.activation_steps(layer, activation)
        if extra and extra[0].kind == "relu":
            raise ImportRejected(
                f"Dense {layer.name!r} ends in a ReLU, so it is a hidden layer: CNN 101 shows "
                "one dense layer after Flatten, the output layer."
            )
        note = "its fused softmax became a separate layer" if extra else None
        self.add(layer, [step, *extra], note)

    def relu(self, layer: SourceLayer) -> None:
        config = layer.config
        if (
            config.get("max_value") is not None
            or float(config.get("negative_slope") or 0) != 0
            or float(config.get("threshold") or 0) != 0
        ):
            raise ImportRejected(
                f"ReLU {layer.name!r} is capped, leaky or thresholded; only the plain "
                "max(0, x) is supported."
            )
        self.after_feature_layer(layer, Step("relu", self.name(layer.name)))

    def after_feature_layer(self, layer: SourceLayer, step: Step) -> None:
        if not self.out.steps or self.kinds[-1] == "softmax":
            raise ImportRejected(f"Layer {layer.name!r} has nothing before it to act on.")
        if step.kind == "relu" and self.kinds[-1] in ("flatten",):
            raise ImportRejected(f"ReLU {layer.name!r} follows Flatten; put it before Flatten.")
        if step.kind == "relu" and self.kinds[-1] == "dense":
            raise ImportRejected(f"ReLU {layer.name!r} follows the output dense layer.")
        self.add(layer, [step])

    def softmax(self, layer: SourceLayer) -> None:
        axis = layer.config.get("axis", -1)
        if axis not in (-1, [-1], 1, [1]):
            raise ImportRejected(f"Softmax {layer.name!r} acts along axis {axis}, not the classes.")
        if not self.kinds or self.kinds[-1] != "dense":
            raise ImportRejected(
                f"Softmax {layer.name!r} must come right after the output dense layer."
            )
        self.add(layer, [Step("softmax", self.name(layer.name))])

    def activation(self, layer: SourceLayer) -> None:
        kind = _activation(layer.config.get("activation"))
        if kind == "linear":
            self.add(layer, [], "a linear activation is the identity: dropped")
        elif kind == "relu":
            self.after_feature_layer(layer, Step("relu", self.name(layer.name)))
        elif kind == "softmax":
            self.softmax(layer)
        else:
            raise ImportRejected(
                f"Activation {layer.name!r} is {kind!r}; CNN 101 shows only ReLU and softmax."
            )

    def pool(self, layer: SourceLayer) -> None:
        _channels_last(layer)
        if self.flat is not None or not self.out.steps:
            raise ImportRejected(f"MaxPooling2D {layer.name!r} must come between convolutions.")
        pool = _pair(layer.config.get("pool_size", 2), "pool_size", layer.name)
        strides = _pair(layer.config.get("strides") or pool, "strides", layer.name)
        if pool[0] != pool[1] or strides[0] != strides[1]:
            raise ImportRejected(f"MaxPooling2D {layer.name!r} is not square.")
        k, s = pool[0], strides[0]
        if self.height < k:
            raise ImportRejected(
                f"MaxPooling2D {layer.name!r}: its {k}x{k} window is larger than its "
                f"{self.height}x{self.width} input."
            )
        padding = str(layer.config.get("padding", "valid")).lower()
        valid = (self.height - k) // s + 1
        if padding == "same" and (
            (valid - 1) * s + k != self.height or valid != -(-self.height // s)
        ):
            raise ImportRejected(
                f"MaxPooling2D {layer.name!r} pads its {self.height}x{self.width} input "
                "(padding 'same'); only pooling windows that fit the input are supported."
            )
        note = (
            "padding 'same' adds no padding here: shown as 'valid'" if padding == "same" else None
        )
        if padding not in ("valid", "same"):
            raise ImportRejected(f"MaxPooling2D {layer.name!r} uses padding {padding!r}.")
        self.height = self.width = valid
        self.add(
            layer, [Step("max_pool", self.name(layer.name), {"pool_size": k, "strides": s})], note
        )

    def flatten(self, layer: SourceLayer) -> None:
        _channels_last(layer)
        if self.flat is not None:
            raise ImportRejected(f"Flatten {layer.name!r} is a second Flatten.")
        if "conv" not in self.kinds:
            raise ImportRejected("The model has no convolution before Flatten: CNN 101 shows CNNs.")
        self.flat = self.height * self.width * self.channels
        self.add(layer, [Step("flatten", self.name(layer.name))])

    def batch_norm(self, layer: SourceLayer) -> None:
        previous = self.out.steps[-1] if self.out.steps else None
        last_entry = self.out.layer_map[-1] if self.out.layer_map else None
        if (
            previous is None
            or previous.kind not in ("conv", "dense")
            or last_entry is None
            or last_entry["output"] != previous.name
        ):
            raise ImportRejected(
                f"BatchNormalization {layer.name!r} does not follow a linear Conv2D or Dense "
                "layer directly, so it cannot be folded into one; CNN 101 does not show "
                "batch normalisation."
            )
        axis = layer.config.get("axis", -1)
        if axis not in (-1, 3, [-1], [3]) and not (previous.kind == "dense" and axis in (1, [1])):
            raise ImportRejected(f"BatchNormalization {layer.name!r} normalises axis {axis}.")
        assert previous.kernel is not None and previous.bias is not None
        channels = previous.kernel.shape[-1]
        w = {k: np.asarray(v, np.float64) for k, v in layer.weights.items()}
        if "moving_mean" not in w or "moving_variance" not in w:
            raise ImportRejected(f"BatchNormalization {layer.name!r} has no moving statistics.")
        gamma = w.get("gamma", np.ones(channels))
        beta = w.get("beta", np.zeros(channels))
        epsilon = float(layer.config.get("epsilon", 1e-3))
        scale = gamma / np.sqrt(w["moving_variance"] + epsilon)
        previous.kernel = (previous.kernel.astype(np.float64) * scale).astype(np.float32)
        previous.bias = ((previous.bias - w["moving_mean"]) * scale + beta).astype(np.float32)
        last_entry["output"] = None  # the source layer's own output no longer exists
        last_entry["note"] = f"{layer.name!r} was folded into its weights"
        self.add(layer, [], f"folded into {previous.name!r} (exact in inference)")

    def rescaling(self, layer: SourceLayer) -> None:
        scale, offset = layer.config.get("scale"), layer.config.get("offset", 0.0)
        if (
            not self.out.steps
            and not self.out.rescale_255
            and isinstance(scale, int | float)
            and isinstance(offset, int | float)
            and offset == 0
            and abs(float(scale) * 255 - 1) < 1e-6
        ):
            self.out.rescale_255 = True
            self.add(
                layer,
                [],
                "rescales 0-255 pixels to [0, 1]; CNN 101 feeds [0, 1] already, so dropped",
            )
            return
        raise ImportRejected(
            f"Rescaling {layer.name!r} (scale {scale}, offset {offset}) changes the input range; "
            "CNN 101 feeds RGB in [0, 1]. Only a first Rescaling(1/255) can be imported."
        )

    def run(self) -> Conversion:
        handlers = {
            "Conv2D": self.conv,
            "Convolution2D": self.conv,
            "Dense": self.dense,
            "ReLU": self.relu,
            "Activation": self.activation,
            "Softmax": self.softmax,
            "MaxPooling2D": self.pool,
            "MaxPool2D": self.pool,
            "Flatten": self.flatten,
            "BatchNormalization": self.batch_norm,
            "Rescaling": self.rescaling,
        }
        for layer in self.source.layers:
            if layer.class_name == "InputLayer":
                self.add(layer, [])
            elif layer.class_name == "Dropout":
                self.add(layer, [], "dropout is the identity in inference: dropped")
            else:
                handlers[layer.class_name](layer)
        if not self.kinds or self.kinds[-1] not in ("dense", "softmax"):
            raise ImportRejected(
                "The model must end with a Dense output layer (with or without softmax)."
            )
        if self.kinds[-1] == "dense":
            self.out.steps.append(Step("softmax", self.name("softmax")))
            self.out.notes.append(
                "The output layer had no softmax: one was added, so the model shows "
                "probabilities (its ranking of the classes is unchanged)."
            )
        return self.out


def _input_size(source: SourceModel) -> int:
    shape = source.input_shape
    if len(shape) != 3 or any(d is None for d in shape):
        raise ImportRejected(
            f"The model's input shape {shape} is not a fixed height x width x 3 image; give "
            "it an Input of shape (size, size, 3)."
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


def _read(files: Mapping[str, bytes]) -> SourceModel:
    """Pick the format from the file names and read the model."""
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
        return read_keras_archive(files[keras_files[0]], keras_files[0])
    if h5_files:
        return read_h5(files[h5_files[0]], h5_files[0])
    if len(json_files) == 1:
        return read_tfjs(files, json_files[0])
    raise ImportRejected(
        "Upload a Keras model (.keras or .h5) or a TensorFlow.js layers model "
        "(model.json with its .bin weight files)."
    )


def _classes(
    files: Mapping[str, bytes], class_names: Sequence[str] | None, units: int
) -> list[ImageClass]:
    names: list[str]
    if class_names is not None:
        names = [str(n).strip() for n in class_names]
    else:
        label_file = next(
            (content for name, content in files.items() if Path(name).name.lower() in LABEL_FILES),
            None,
        )
        if label_file is not None:
            try:
                text = label_file.decode("utf-8")
            except UnicodeDecodeError:
                raise ImportRejected("The labels file is not UTF-8 text.") from None
            names = [line.strip() for line in text.splitlines() if line.strip()]
        else:
            names = [f"class_{i + 1}" for i in range(units)]
    if len(names) != units:
        raise ImportRejected(
            f"{len(names)} class names were given, but the model's output layer has "
            f"{units} units: give one name per output unit, in order."
        )
    if units > MAX_CLASSES:
        raise ImportRejected(f"The model has {units} classes; at most {MAX_CLASSES} are allowed.")
    if any(not n or len(n) > 60 for n in names):
        raise ImportRejected("Every class name must be 1 to 60 characters long.")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ImportRejected(f"Class names repeat: {', '.join(duplicates)}.")
    return [ImageClass(n, n) for n in names]


def _build_keras(steps: Sequence[Step], size: int) -> Any:
    import keras

    inputs = keras.Input((size, size, 3), name="input")
    x = inputs
    weighted: list[tuple[Any, Step]] = []
    for step in steps:
        layer: Any
        if step.kind == "conv":
            c = step.config
            layer = keras.layers.Conv2D(
                c["filters"],
                c["kernel_size"],
                strides=c["strides"],
                padding=c["padding"],
                name=step.name,
            )
        elif step.kind == "relu":
            layer = keras.layers.ReLU(name=step.name)
        elif step.kind == "max_pool":
            layer = keras.layers.MaxPooling2D(
                step.config["pool_size"], strides=step.config["strides"], name=step.name
            )
        elif step.kind == "flatten":
            layer = keras.layers.Flatten(name=step.name)
        elif step.kind == "dense":
            layer = keras.layers.Dense(step.config["units"], name=step.name)
        else:
            layer = keras.layers.Softmax(name=step.name)
        x = layer(x)
        if step.kernel is not None:
            weighted.append((layer, step))
    model = keras.Model(inputs, x, name="imported")
    for layer, step in weighted:
        layer.set_weights([step.kernel, step.bias])
    return model


def convert(files: Mapping[str, bytes]) -> tuple[SourceModel, Conversion, int]:
    """Read and check an upload; return the source, what it becomes, the input size."""
    source = _read(files)
    size = _input_size(source)
    if len(source.layers) > MAX_LAYERS:
        raise ImportRejected(
            f"The model has {len(source.layers)} layers; at most {MAX_LAYERS} are allowed."
        )
    conversion = _Builder(source, size).run()
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


def _check_reproduces(source: SourceModel, conversion: Conversion, model: Any, size: int) -> None:
    """Where Keras loaded the source, the rebuilt network must compute what it computes."""
    if source.reference is None:
        return
    probe = np.random.default_rng(0).random((2, size, size, 3), dtype=np.float32)
    expected = np.asarray(
        source.reference(probe * 255 if conversion.rescale_255 else probe, training=False)
    )
    if conversion.steps[-1].name not in {e["output"] for e in conversion.layer_map}:
        shifted = np.exp(expected - expected.max(axis=-1, keepdims=True))
        expected = shifted / shifted.sum(axis=-1, keepdims=True)  # the softmax we added
    ours = np.asarray(model(probe, training=False))
    if ours.shape != expected.shape or not np.allclose(ours, expected, atol=1e-4, rtol=1e-3):
        raise ImportRejected(
            "The converted model does not compute what the uploaded one computes (largest "
            f"difference {float(np.max(np.abs(ours - expected))):.2g}); it was not imported."
        )


def render_import_card(
    name: str, version: int, summary: dict[str, Any], classes: Sequence[ImageClass]
) -> str:
    """Markdown card for an imported version: where it came from and what was changed."""
    rows = "\n".join(
        f"| {e['source']} | {e['class_name']} | {', '.join(e['became'])} | {e.get('note', '')} |"
        for e in summary["layer_map"]
    )
    notes = "\n".join(f"- {note}" for note in summary["notes"]) or "- nothing: imported as it was"
    return f"""# Model card: `{name}` version {version} (imported)

Imported from a {summary["source_format_label"]} file ({", ".join(summary["files"])}) by
`cnn101 import-model`; {summary["parameters"]:,} parameters, input RGB
{summary["input_size"]}x{summary["input_size"]} in [0, 1].
Classes, in output order: {", ".join(c.name for c in classes)}.
This model was not trained or evaluated by CNN 101: its accuracy is whatever its author's was.

## What was normalised
{notes}

## Source layers
| source layer | type | became | note |
|---|---|---|---|
{rows}
"""


FORMAT_LABELS = {"keras": "Keras (.keras)", "h5": "Keras (.h5)", "tfjs": "TensorFlow.js layers"}


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
    classes = _classes(files, class_names, int(dense.config["units"]))
    model = _build_keras(conversion.steps, size)
    _check_reproduces(source, conversion, model, size)
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

"""Turn a checked source layer chain into the plain network the views draw, layer by layer.

Each handler either maps a source layer to exactly equivalent steps (linear Conv2D / Dense
with ReLU and Softmax split off, MaxPooling2D, Flatten; Dropout, a linear Activation and a
first 1/255 Rescaling dropped; BatchNormalization folded into the layer before it) or
raises an :class:`ImportRejected` that names the layer and the reason, so a teacher knows
what to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services.pipeline.import_formats import ImportRejected, SourceLayer, SourceModel

__all__ = ["Conversion", "ConversionBuilder", "Step", "convert_layers"]


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


class ConversionBuilder:
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


def convert_layers(source: SourceModel, size: int) -> Conversion:
    """The steps a source chain with ``size`` x ``size`` RGB input becomes, or a refusal."""
    return ConversionBuilder(source, size).run()

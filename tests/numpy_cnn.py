"""A forward pass in plain NumPy from an export's layer graph and weights.bin.

It shares no code with TensorFlow, so agreement with the SavedModel's ``activations``
signature shows that the weights and graph the browser loads are the ones the model runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv2d_valid(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """``x``: N x H x W x C, ``kernel``: kh x kw x C x F; valid padding."""
    kh, kw = kernel.shape[:2]
    windows = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    # windows: N x H' x W' x C x kh x kw
    out = np.einsum("nhwcij,ijcf->nhwf", windows.astype(np.float64), kernel.astype(np.float64))
    return np.asarray(out + bias, dtype=np.float32)


def max_pool(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    windows = sliding_window_view(x, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    return np.asarray(windows.max(axis=(-2, -1)), dtype=np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float32)


def forward(
    layers: list[dict[str, Any]], weights: dict[tuple[str, str], np.ndarray], x: np.ndarray
) -> dict[str, np.ndarray]:
    """Every layer's output for inputs ``x`` (N x H x W x 3 in [0, 1])."""
    outputs: dict[str, np.ndarray] = {}
    for layer in layers:
        kind, name = layer["type"], layer["name"]
        if kind == "input":
            continue
        if kind == "conv":
            assert layer["padding"] == "valid"
            x = conv2d_valid(x, weights[name, "kernel"], weights[name, "bias"], layer["stride"][0])
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "max_pool":
            x = max_pool(x, layer["kernel_size"][0], layer["stride"][0])
        elif kind == "flatten":
            x = x.reshape(x.shape[0], -1)  # row-major over (row, column, channel)
        elif kind == "dense":
            x = (x.astype(np.float64) @ weights[name, "kernel"] + weights[name, "bias"]).astype(
                np.float32
            )
        elif kind == "softmax":
            x = softmax(x)
        else:
            raise AssertionError(f"unknown layer type {kind}")
        outputs[name] = x
    return outputs

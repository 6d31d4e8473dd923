"""The layer graph is read from layer classes and fits any linear CNN of the family."""

from __future__ import annotations

import keras
import pytest

from services.pipeline.architecture import TINY_VGG, Architecture, build_model
from services.pipeline.graph import UnsupportedLayerError, describe_layers


def test_tiny_vgg_graph_matches_the_design() -> None:
    layers = describe_layers(build_model(TINY_VGG))
    table = [(entry["name"], entry["type"], entry["output_shape"]) for entry in layers]
    assert table == [
        ("input", "input", [64, 64, 3]),
        ("conv_1_1", "conv", [62, 62, 10]),
        ("relu_1_1", "relu", [62, 62, 10]),
        ("conv_1_2", "conv", [60, 60, 10]),
        ("relu_1_2", "relu", [60, 60, 10]),
        ("max_pool_1", "max_pool", [30, 30, 10]),
        ("conv_2_1", "conv", [28, 28, 10]),
        ("relu_2_1", "relu", [28, 28, 10]),
        ("conv_2_2", "conv", [26, 26, 10]),
        ("relu_2_2", "relu", [26, 26, 10]),
        ("max_pool_2", "max_pool", [13, 13, 10]),
        ("flatten", "flatten", [1690]),
        ("output", "dense", [10]),
        ("softmax", "softmax", [10]),
    ]
    by_name = {entry["name"]: entry for entry in layers}
    assert by_name["conv_1_1"]["kernel_size"] == [3, 3]
    assert by_name["conv_1_1"]["stride"] == [1, 1]
    assert by_name["conv_1_1"]["padding"] == "valid"
    assert by_name["max_pool_1"]["kernel_size"] == [2, 2]
    assert by_name["max_pool_1"]["stride"] == [2, 2]
    assert [by_name[n]["unit"] for n in ("conv_1_2", "relu_1_2", "max_pool_1")] == [
        "conv_1_2",
        "conv_1_2",
        "max_pool_1",
    ]
    assert [
        by_name[n]["module"] for n in ("relu_1_1", "max_pool_1", "conv_2_1", "flatten", "softmax")
    ] == ["block_1", "block_1", "block_2", "classifier", "classifier"]
    assert [entry["input"] for entry in layers[:3]] == [None, "input", "conv_1_1"]


def test_a_differently_shaped_network_is_described_by_its_layers() -> None:
    arch = Architecture(input_size=48, blocks=3, convs_per_block=1, filters=8, kernel_size=5)
    layers = describe_layers(build_model(arch))
    convs = [entry for entry in layers if entry["type"] == "conv"]
    assert [c["output_shape"] for c in convs] == [[44, 44, 8], [18, 18, 8], [5, 5, 8]]
    assert all(c["kernel_size"] == [5, 5] for c in convs)
    assert layers[-3]["output_shape"] == [2 * 2 * 8]
    assert {entry["module"] for entry in layers} == {
        "input",
        "block_1",
        "block_2",
        "block_3",
        "classifier",
    }


def test_unsupported_layers_are_named() -> None:
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(2, 3, name="c")(inputs)
    x = keras.layers.Dropout(0.5, name="drop")(x)
    with pytest.raises(UnsupportedLayerError, match="'drop' of type Dropout"):
        describe_layers(keras.Model(inputs, x))


def test_fused_activations_are_refused() -> None:
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(2, 3, activation="relu", name="c")(inputs)
    with pytest.raises(UnsupportedLayerError, match="separate ReLU"):
        describe_layers(keras.Model(inputs, x))

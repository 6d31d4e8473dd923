"""The shape of a linear CNN in the Tiny VGG family, and the Keras model it builds.

The default is the paper's Tiny VGG (DESIGN.md); other shapes (more blocks, other filter
counts, kernel or input sizes) build the same way, so the views and tests can prove they
are driven by the layer graph rather than by these names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import keras


@dataclass(frozen=True)
class Architecture:
    """A linear CNN: ``blocks`` x (``convs_per_block`` x [conv, relu]) + max-pool, dense."""

    input_size: int = 64
    blocks: int = 2
    convs_per_block: int = 2
    filters: int = 10
    kernel_size: int = 3
    pool_size: int = 2
    num_classes: int = 10

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Architecture:
        return cls(**{key: int(value) for key, value in data.items()})

    def conv_names(self) -> list[str]:
        return [
            f"conv_{block}_{conv}"
            for block in range(1, self.blocks + 1)
            for conv in range(1, self.convs_per_block + 1)
        ]


TINY_VGG = Architecture()


def _parallel_branches(
    main: keras.KerasTensor,
    source: keras.KerasTensor,
    arch: Architecture,
    suffix: str,
    seed: int,
) -> keras.KerasTensor:
    """Add the 1x1 and identity branches of a re-parameterised conv to its main branch."""
    centre = keras.layers.Cropping2D(arch.kernel_size // 2, name=f"crop_{suffix}")(source)
    pointwise = keras.layers.Conv2D(
        arch.filters,
        1,
        padding="valid",
        kernel_initializer=keras.initializers.HeNormal(seed=seed + 1000),
        name=f"pointwise_{suffix}",
    )(centre)
    branches = [
        main,
        keras.layers.BatchNormalization(momentum=0.9, name=f"bn_pointwise_{suffix}")(pointwise),
    ]
    if int(source.shape[-1]) == arch.filters:
        branches.append(
            keras.layers.BatchNormalization(momentum=0.9, name=f"bn_identity_{suffix}")(centre)
        )
    return keras.layers.Add(name=f"sum_{suffix}")(branches)


def build_model(
    arch: Architecture,
    batch_norm: bool = False,
    seed: int = 0,
    reparam: bool = False,
    dense_batch_norm: bool = False,
) -> keras.Model:
    """Build the network; ``batch_norm``, ``reparam`` and ``dense_batch_norm`` only shape the
    *training* model.

    ``batch_norm`` adds BN after each conv (``bn_<block>_<conv>``); ``dense_batch_norm``
    adds one between the flatten layer and the dense one (``bn_flatten``), which is affine
    too and folds into the dense layer's weights. ``reparam`` (with BN)
    trains each convolution as the sum of three linear branches, RepVGG-style: the conv,
    a 1x1 conv on the centre crop (``pointwise_*``) and, where channels match, the identity
    (``bn_identity_*``), each with its own BN. All are linear before the ReLU, so
    :func:`services.pipeline.folding.fold_batch_norm` merges them into one conv kernel and
    bias before export: the exported model has exactly the layers of ``arch``.
    """
    initializer_seed = seed
    inputs = keras.Input(shape=(arch.input_size, arch.input_size, 3), name="input")
    x = inputs
    for block in range(1, arch.blocks + 1):
        for conv in range(1, arch.convs_per_block + 1):
            suffix = f"{block}_{conv}"
            source = x
            x = keras.layers.Conv2D(
                arch.filters,
                arch.kernel_size,
                strides=1,
                padding="valid",
                kernel_initializer=keras.initializers.HeNormal(seed=initializer_seed),
                name=f"conv_{suffix}",
            )(x)
            initializer_seed += 1
            if batch_norm:
                x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn_{suffix}")(x)
            if batch_norm and reparam:
                x = _parallel_branches(x, source, arch, suffix, initializer_seed)
            x = keras.layers.ReLU(name=f"relu_{suffix}")(x)
        x = keras.layers.MaxPooling2D(
            pool_size=arch.pool_size,
            strides=arch.pool_size,
            padding="valid",
            name=f"max_pool_{block}",
        )(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if dense_batch_norm:
        x = keras.layers.BatchNormalization(momentum=0.9, name="bn_flatten")(x)
    logits = keras.layers.Dense(
        arch.num_classes,
        kernel_initializer=keras.initializers.GlorotUniform(seed=initializer_seed),
        name="output",
    )(x)
    probabilities = keras.layers.Softmax(name="softmax")(logits)
    return keras.Model(inputs, probabilities, name="tiny_vgg")

"""Whether a variant's shape fits its input: plain arithmetic, no TensorFlow.

The evaluation service refuses a training request with this before it is queued; the
trainer checks again (:mod:`services.pipeline.variants`).
"""

from __future__ import annotations


class ArchitectureDoesNotFitError(ValueError):
    """The blocks shrink the input below one pixel (the message says where)."""


def feature_map_sizes(
    input_size: int, blocks: int, convs_per_block: int, kernel_size: int, pool_size: int = 2
) -> list[int]:
    """The side of the feature map after each block (valid convolutions, then pooling)."""
    side = input_size
    sides = []
    for block in range(1, blocks + 1):
        for _ in range(convs_per_block):
            side -= kernel_size - 1
            if side < 1:
                raise ArchitectureDoesNotFitError(
                    f"block {block} shrinks the {input_size}x{input_size} input below one "
                    "pixel: use fewer blocks, fewer convolutions per block, a smaller kernel "
                    "or a larger input size"
                )
        side //= pool_size
        if side < 1:
            raise ArchitectureDoesNotFitError(
                f"the pooling of block {block} leaves no pixel of the {input_size}x{input_size}"
                " input: use fewer blocks or a larger input size"
            )
        sides.append(side)
    return sides

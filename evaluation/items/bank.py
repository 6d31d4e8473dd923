# ruff: noqa: RUF001  (student-facing text uses the true multiplication and minus signs)
"""Two parallel forms written for CNN 101: same concept, same difficulty, item by item.

Each A/B pair has the same structure (the same operations on the same kind of input) and
differs only in its numbers or surface; every item gives every number it needs, so no
answer depends on another item's. Positions 14-16 ask "why" (evaluation/items/why_items.py).

Wrong options are the answers that common misconceptions produce (forgetting the bias,
ignoring input channels, treating pooling as an average, normalising logits linearly...).
Every numeric answer is recomputed by ``tests/evaluation/test_item_bank.py``.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evaluation.items.builtin_item import builtin_item as _item
from evaluation.items.why_items import WHY_ITEMS
from evaluation.models import Item
from evaluation.schemas import ItemData

DEFAULT_ITEMS: list[ItemData] = [
    # 1. Output size of a valid convolution.
    _item(
        "A01",
        concept="conv_output_size",
        stem=(
            "A 3×3 convolution with stride 1 and no padding is applied to a 64×64 image. "
            "What is the width and height of its output?"
        ),
        options=["64×64", "62×62", "61×61", "66×66"],
        correct_index=1,
        explanation=(
            "Without padding the kernel must fit entirely inside the image: 64 − 3 + 1 = 62. "
            "64×64 assumes the size is kept (that needs padding 1); 61 subtracts the full kernel."
        ),
    ),
    _item(
        "B01",
        concept="conv_output_size",
        stem=(
            "A 5×5 convolution with stride 1 and no padding is applied to a 32×32 image. "
            "What is the width and height of its output?"
        ),
        options=["27×27", "32×32", "28×28", "36×36"],
        correct_index=2,
        explanation=(
            "Without padding the kernel must fit entirely inside the image: 32 − 5 + 1 = 28. "
            "32×32 assumes the size is kept (that needs padding 2); 27 subtracts the full kernel."
        ),
    ),
    # 2. Output size with padding and stride.
    _item(
        "A02",
        concept="conv_padding_stride",
        stem=(
            "A 3×3 convolution with padding 1 and stride 2 is applied to a 7×7 input. "
            "What is the width and height of its output?"
        ),
        options=["7×7", "3×3", "4×4", "5×5"],
        correct_index=2,
        explanation=(
            "Output = ⌊(7 + 2·1 − 3) / 2⌋ + 1 = ⌊6 / 2⌋ + 1 = 4. 7×7 ignores the stride; 3×3 "
            "forgets the padding; 5×5 counts the padding twice: ⌊(7 + 2·2 − 3) / 2⌋ + 1 = 5."
        ),
    ),
    _item(
        "B02",
        concept="conv_padding_stride",
        stem=(
            "A 3×3 convolution with padding 1 and stride 2 is applied to a 9×9 input. "
            "What is the width and height of its output?"
        ),
        options=["5×5", "9×9", "4×4", "6×6"],
        correct_index=0,
        explanation=(
            "Output = ⌊(9 + 2·1 − 3) / 2⌋ + 1 = ⌊8 / 2⌋ + 1 = 5. 9×9 ignores the stride; 4×4 "
            "forgets the padding; 6×6 counts the padding twice: ⌊(9 + 2·2 − 3) / 2⌋ + 1 = 6."
        ),
    ),
    # 3. One output value of a convolution.
    _item(
        "A03",
        concept="conv_arithmetic",
        stem=(
            "A 2×2 kernel [[1, 0], [0, −1]] with bias 1 is placed over the input patch "
            "[[1, 2], [3, 4]]. What value does the convolution write at this position?"
        ),
        options=["−3", "−2", "[[1, 0], [0, −4]]", "11"],
        correct_index=1,
        explanation=(
            "Multiply element by element and add everything: 1·1 + 2·0 + 3·0 + 4·(−1) = −3, "
            "then add the bias: −3 + 1 = −2. −3 forgets the bias; the matrix forgets to sum; "
            "11 adds the inputs and the bias without the weights."
        ),
    ),
    _item(
        "B03",
        concept="conv_arithmetic",
        stem=(
            "A 2×2 kernel [[0, 1], [−1, 1]] with bias −1 is placed over the input patch "
            "[[2, 1], [0, 3]]. What value does the convolution write at this position?"
        ),
        options=["4", "[[0, 1], [0, 3]]", "3", "5"],
        correct_index=2,
        explanation=(
            "Multiply element by element and add everything: 2·0 + 1·1 + 0·(−1) + 3·1 = 4, "
            "then add the bias: 4 − 1 = 3. 4 forgets the bias; the matrix forgets to sum; "
            "5 adds the inputs and the bias without the weights."
        ),
    ),
    # 4. Multi-channel convolution and bias.
    _item(
        "A04",
        concept="multichannel_bias",
        stem=(
            "One filter is applied to a 3-channel input. At one position its three kernel "
            "slices give 2, −1 and 4, and the filter's bias is 0.5. What is the output value?"
        ),
        options=["5", "6.5", "5.5", "2.17"],
        correct_index=2,
        explanation=(
            "A filter has one kernel slice per input channel; the slices' results are summed and "
            "the single bias of the filter is added once: 2 − 1 + 4 + 0.5 = 5.5. 6.5 adds the "
            "bias once per channel; 5 forgets it; 2.17 averages the channels."
        ),
    ),
    _item(
        "B04",
        concept="multichannel_bias",
        stem=(
            "One filter is applied to a 3-channel input. At one position its three kernel "
            "slices give 3, 2 and −1, and the filter's bias is −2. What is the output value?"
        ),
        options=["2", "−2", "4", "−0.67"],
        correct_index=0,
        explanation=(
            "A filter has one kernel slice per input channel; the slices' results are summed and "
            "the single bias of the filter is added once: 3 + 2 − 1 − 2 = 2. −2 adds the bias "
            "once per channel; 4 forgets it; −0.67 averages the channels."
        ),
    ),
    # 5. Number of output channels.
    _item(
        "A05",
        concept="conv_channels",
        stem=(
            "A convolutional layer with 10 filters of size 3×3 is applied to an RGB image "
            "(3 channels). How many channels does its output have?"
        ),
        options=["3", "30", "13", "10"],
        correct_index=3,
        explanation=(
            "Each filter spans all input channels and produces one output channel, so 10 "
            "filters give 10 channels. 30 treats every filter-channel pair as an output; 3 keeps "
            "the input channels; 13 adds filters and channels."
        ),
    ),
    _item(
        "B05",
        concept="conv_channels",
        stem=(
            "A convolutional layer with 6 filters of size 3×3 is applied to an RGB image "
            "(3 channels). How many channels does its output have?"
        ),
        options=["6", "18", "3", "9"],
        correct_index=0,
        explanation=(
            "Each filter spans all input channels and produces one output channel, so 6 "
            "filters give 6 channels. 18 treats every filter-channel pair as an output; 3 keeps "
            "the input channels; 9 adds filters and channels."
        ),
    ),
    # 6. ReLU.
    _item(
        "A06",
        concept="relu",
        stem=("ReLU is applied to the values [−2, 0, 3.5, −0.1]. What is the result?"),
        options=["[2, 0, 3.5, 0.1]", "[0, 0, 3.5, 0]", "[0, 0, 1, 0]", "[−2, 0, 0, −0.1]"],
        correct_index=1,
        explanation=(
            "ReLU(x) = max(0, x): negative values become 0, positive values pass unchanged. "
            "It is not the absolute value, not a 0/1 step, and it does not remove the positives."
        ),
    ),
    _item(
        "B06",
        concept="relu",
        stem=("ReLU is applied to the values [1.5, −3, 0, −0.5]. What is the result?"),
        options=["[1, 0, 0, 0]", "[0, −3, 0, −0.5]", "[1.5, 0, 0, 0]", "[1.5, 3, 0, 0.5]"],
        correct_index=2,
        explanation=(
            "ReLU(x) = max(0, x): negative values become 0, positive values pass unchanged. "
            "It is not the absolute value, not a 0/1 step, and it does not remove the positives."
        ),
    ),
    # 7. Max pooling.
    _item(
        "A07",
        concept="max_pooling",
        stem=(
            "2×2 max pooling with stride 2 reads the window [[1, 5], [3, 2]]. "
            "Which value does it output for this window?"
        ),
        options=["2.75", "11", "5", "1"],
        correct_index=2,
        explanation=(
            "Max pooling keeps the largest value of each window: max(1, 5, 3, 2) = 5. 2.75 is "
            "average pooling, 11 the sum, 1 just the top-left value."
        ),
    ),
    _item(
        "B07",
        concept="max_pooling",
        stem=(
            "2×2 max pooling with stride 2 reads the window [[4, 0], [7, 6]]. "
            "Which value does it output for this window?"
        ),
        options=["7", "4.25", "17", "4"],
        correct_index=0,
        explanation=(
            "Max pooling keeps the largest value of each window: max(4, 0, 7, 6) = 7. 4.25 is "
            "average pooling, 17 the sum, 4 just the top-left value."
        ),
    ),
    # 8. Flatten.
    _item(
        "A08",
        concept="flatten",
        stem=("A 7×7×6 tensor is flattened. How many values does the resulting vector have?"),
        options=["49", "20", "294", "42"],
        correct_index=2,
        explanation=(
            "Flatten lays every value out in one vector without changing any: 7 · 7 · 6 = 294. "
            "49 forgets the channels; 20 adds the dimensions; 42 drops one dimension."
        ),
    ),
    _item(
        "B08",
        concept="flatten",
        stem=("A 6×6×8 tensor is flattened. How many values does the resulting vector have?"),
        options=["20", "288", "36", "48"],
        correct_index=1,
        explanation=(
            "Flatten lays every value out in one vector without changing any: 6 · 6 · 8 = 288. "
            "36 forgets the channels; 20 adds the dimensions; 48 drops one dimension."
        ),
    ),
    # 9. Softmax.
    _item(
        "A09",
        concept="softmax",
        stem=(
            "A two-class network outputs the logits [3, 1]. After softmax, what is the "
            "probability of the first class (to two decimals)?"
        ),
        options=["0.75", "1.00", "0.50", "0.88"],
        correct_index=3,
        explanation=(
            "softmax gives e³ / (e³ + e¹) = 1 / (1 + e⁻²) ≈ 0.88. 0.75 divides the logits by "
            "their sum (not softmax); 1.00 confuses the probability with the predicted class."
        ),
    ),
    _item(
        "B09",
        concept="softmax",
        stem=(
            "A two-class network outputs the logits [2, 1]. After softmax, what is the "
            "probability of the first class (to two decimals)?"
        ),
        options=["0.73", "0.67", "1.00", "0.50"],
        correct_index=0,
        explanation=(
            "softmax gives e² / (e² + e¹) = 1 / (1 + e⁻¹) ≈ 0.73. 0.67 divides the logits by "
            "their sum (not softmax); 1.00 confuses the probability with the predicted class."
        ),
    ),
    # 10. Shapes through a block (convolution, convolution, pooling).
    _item(
        "A10",
        concept="block_shapes",
        stem=(
            "The input is a 32×32×3 image: a 3×3 convolution with 8 filters, then another 3×3 "
            "convolution with 8 filters (both stride 1, no padding, each followed by ReLU), "
            "then 2×2 max pooling with stride 2. What is the shape of the pooling output?"
        ),
        options=["14×14×8", "28×28×8", "15×15×8", "14×14×24"],
        correct_index=0,
        explanation=(
            "32 → 30 → 28 (each valid 3×3 removes 2), pooled to 14; the last convolution has 8 "
            "filters, so 8 channels: 14×14×8. 28 forgets the pooling; 15 counts one "
            "convolution; 24 channels multiplies the filters by the image's 3 channels."
        ),
    ),
    _item(
        "B10",
        concept="block_shapes",
        stem=(
            "The input is a 48×48×3 image: a 3×3 convolution with 6 filters, then another 3×3 "
            "convolution with 6 filters (both stride 1, no padding, each followed by ReLU), "
            "then 2×2 max pooling with stride 2. What is the shape of the pooling output?"
        ),
        options=["22×22×18", "23×23×6", "44×44×6", "22×22×6"],
        correct_index=3,
        explanation=(
            "48 → 46 → 44 (each valid 3×3 removes 2), pooled to 22; the last convolution has 6 "
            "filters, so 6 channels: 22×22×6. 44 forgets the pooling; 23 counts one "
            "convolution; 18 channels multiplies the filters by the image's 3 channels."
        ),
    ),
    # 11. Parameters of one convolutional layer.
    _item(
        "A11",
        concept="conv_parameters",
        stem=(
            "A convolutional layer has 8 filters of size 3×3 and is applied to an RGB image "
            "(3 channels). How many trainable parameters (weights and biases) does it have?"
        ),
        options=["216", "80", "224", "28"],
        correct_index=2,
        explanation=(
            "Each of the 8 filters has 3·3·3 = 27 weights (one 3×3 slice per input channel) "
            "and one bias: 8 · 28 = 224. 216 forgets the biases; 80 ignores the input channels; "
            "28 counts a single filter."
        ),
    ),
    _item(
        "B11",
        concept="conv_parameters",
        stem=(
            "A convolutional layer has 4 filters of size 5×5 and is applied to an RGB image "
            "(3 channels). How many trainable parameters (weights and biases) does it have?"
        ),
        options=["300", "76", "304", "104"],
        correct_index=2,
        explanation=(
            "Each of the 4 filters has 5·5·3 = 75 weights (one 5×5 slice per input channel) "
            "and one bias: 4 · 76 = 304. 300 forgets the biases; 104 ignores the input channels; "
            "76 counts a single filter."
        ),
    ),
    # 12. Parameters of a dense layer.
    _item(
        "A12",
        concept="dense_parameters",
        stem=(
            "A dense layer maps a flattened 5×5×12 tensor to 10 classes. How many trainable "
            "parameters (weights and biases) does it have?"
        ),
        options=["3,010", "3,000", "310", "300"],
        correct_index=0,
        explanation=(
            "Every one of the 5 · 5 · 12 = 300 inputs connects to each of the 10 outputs, plus "
            "one bias per output: 300 · 10 + 10 = 3,010. 3,000 forgets the biases; 310 adds "
            "instead of multiplying; 300 counts the inputs."
        ),
    ),
    _item(
        "B12",
        concept="dense_parameters",
        stem=(
            "A dense layer maps a flattened 4×4×20 tensor to 10 classes. How many trainable "
            "parameters (weights and biases) does it have?"
        ),
        options=["330", "320", "3,200", "3,210"],
        correct_index=3,
        explanation=(
            "Every one of the 4 · 4 · 20 = 320 inputs connects to each of the 10 outputs, plus "
            "one bias per output: 320 · 10 + 10 = 3,210. 3,200 forgets the biases; 330 adds "
            "instead of multiplying; 320 counts the inputs."
        ),
    ),
    # 13. Total parameters of a small network.
    _item(
        "A13",
        concept="total_parameters",
        stem=(
            "The input image is 12×12×1: one 3×3 convolution with 3 filters (stride 1, no "
            "padding), ReLU, 2×2 max pooling (stride 2), flatten, and a dense layer of 10 "
            "classes. How many trainable parameters does the network have?"
        ),
        options=["777", "30", "3,040", "790"],
        correct_index=3,
        explanation=(
            "conv: 3 · (3·3·1 + 1) = 30; output 10×10×3 pooled to 5×5×3 = 75 values; dense: "
            "75 · 10 + 10 = 760; total 790. 777 forgets the biases; 30 forgets the dense layer; "
            "3,040 forgets that pooling shrinks the map."
        ),
    ),
    _item(
        "B13",
        concept="total_parameters",
        stem=(
            "The input image is 8×8×1: one 3×3 convolution with 4 filters (stride 1, no "
            "padding), ReLU, 2×2 max pooling (stride 2), flatten, and a dense layer of 10 "
            "classes. How many trainable parameters does the network have?"
        ),
        options=["396", "410", "40", "1,490"],
        correct_index=1,
        explanation=(
            "conv: 4 · (3·3·1 + 1) = 40; output 6×6×4 pooled to 3×3×4 = 36 values; dense: "
            "36 · 10 + 10 = 370; total 410. 396 forgets the biases; 40 forgets the dense layer; "
            "1,490 forgets that pooling shrinks the map."
        ),
    ),
    *WHY_ITEMS,
]


def seed_default_items(session: Session) -> int:
    """Insert the built-in forms into an empty bank; returns how many were inserted.

    A bank that already has items is brought up to date by
    :func:`evaluation.items.refresh.refresh_builtin_items` instead.
    """
    if session.scalar(select(func.count()).select_from(Item)):
        return 0
    for data in DEFAULT_ITEMS:
        session.add(Item(**data.model_dump()))
    session.commit()
    return len(DEFAULT_ITEMS)

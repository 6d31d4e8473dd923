# ruff: noqa: RUF001  (student-facing text uses the true multiplication and minus signs)
"""Two parallel forms written for CNN 101: same concept, same difficulty, item by item.

Wrong options are the answers that common misconceptions produce (forgetting the bias,
ignoring input channels, treating pooling as an average, normalising logits linearly...).
Every numeric answer is recomputed by ``tests/evaluation/test_item_bank.py``.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evaluation.models import Item
from evaluation.schemas import ItemData

TINY_VGG = (
    "Tiny VGG: input 64×64×3; conv_1_1 and conv_1_2 (3×3, 10 filters, stride 1, no padding), "
    "each followed by ReLU; max_pool_1 (2×2, stride 2); the same block again (conv_2_1, "
    "conv_2_2, max_pool_2); flatten; a dense output layer of 10 classes with softmax."
)


def _item(
    key: str,
    *,
    concept: str,
    stem: str,
    options: list[str],
    correct_index: int,
    explanation: str,
) -> ItemData:
    return ItemData(
        key=key,
        form="A" if key[0] == "A" else "B",
        position=int(key[1:]),
        concept=concept,
        stem=stem,
        options=options,
        correct_index=correct_index,
        explanation=explanation,
    )


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
            "the input channels."
        ),
    ),
    _item(
        "B05",
        concept="conv_channels",
        stem=(
            "A convolutional layer with 6 filters of size 3×3 is applied to a 10-channel input. "
            "How many channels does its output have?"
        ),
        options=["6", "60", "10", "16"],
        correct_index=0,
        explanation=(
            "Each filter spans all input channels and produces one output channel, so 6 "
            "filters give 6 channels. 60 treats every filter-channel pair as an output; 10 keeps "
            "the input channels."
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
        stem=("A 13×13×10 tensor is flattened. How many values does the resulting vector have?"),
        options=["169", "36", "1690", "130"],
        correct_index=2,
        explanation=(
            "Flatten lays every value out in one vector without changing any: 13 · 13 · 10 = "
            "1690. 169 forgets the channels; 36 adds the dimensions; 130 drops one dimension."
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
    # 10. Tiny VGG shapes.
    _item(
        "A10",
        concept="tiny_vgg_shapes",
        stem=(f"{TINY_VGG} What is the shape of the output of conv_1_2?"),
        options=["62×62×10", "60×60×10", "30×30×10", "60×60×30"],
        correct_index=1,
        explanation=(
            "64 → 62 after conv_1_1 and 62 → 60 after conv_1_2 (each valid 3×3 removes 2); each "
            "layer has 10 filters, so 10 channels. 62 counts one convolution; 30 applies the "
            "pooling too early; 30 channels multiplies filters by input channels."
        ),
    ),
    _item(
        "B10",
        concept="tiny_vgg_shapes",
        stem=(f"{TINY_VGG} What is the shape of the output of conv_2_2?"),
        options=["28×28×10", "13×13×10", "26×26×10", "26×26×20"],
        correct_index=2,
        explanation=(
            "64 → 62 → 60, pooled to 30, then 30 → 28 → 26 with 10 filters: 26×26×10. 28 "
            "counts one convolution; 13 applies the pooling too early; 20 channels adds the "
            "filters of both layers."
        ),
    ),
    # 11. Parameters of one convolutional layer.
    _item(
        "A11",
        concept="conv_parameters",
        stem=(f"{TINY_VGG} How many trainable parameters (weights and biases) does conv_1_1 have?"),
        options=["270", "100", "280", "28"],
        correct_index=2,
        explanation=(
            "Each of the 10 filters has 3×3×3 = 27 weights (one 3×3 slice per input channel) "
            "and one bias: 10 · 28 = 280. 270 forgets the biases; 100 ignores the input channels; "
            "28 counts a single filter."
        ),
    ),
    _item(
        "B11",
        concept="conv_parameters",
        stem=(f"{TINY_VGG} How many trainable parameters (weights and biases) does conv_1_2 have?"),
        options=["900", "910", "100", "280"],
        correct_index=1,
        explanation=(
            "Each of the 10 filters has 3×3×10 = 90 weights (its input has 10 channels) and one "
            "bias: 10 · 91 = 910. 900 forgets the biases; 100 ignores the input channels; 280 "
            "assumes an RGB input."
        ),
    ),
    # 12. Parameters of a dense layer.
    _item(
        "A12",
        concept="dense_parameters",
        stem=(
            "A dense layer maps a flattened 13×13×10 tensor to 10 classes. How many trainable "
            "parameters (weights and biases) does it have?"
        ),
        options=["16,900", "1,700", "16,910", "1,690"],
        correct_index=2,
        explanation=(
            "Every one of the 1690 inputs connects to each of the 10 outputs, plus one bias per "
            "output: 1690 · 10 + 10 = 16,910. 16,900 forgets the biases; 1,700 adds instead of "
            "multiplying; 1,690 counts the inputs."
        ),
    ),
    _item(
        "B12",
        concept="dense_parameters",
        stem=(
            "A dense layer maps a flattened 6×6×8 tensor to 10 classes. How many trainable "
            "parameters (weights and biases) does it have?"
        ),
        options=["298", "2,880", "288", "2,890"],
        correct_index=3,
        explanation=(
            "Every one of the 288 inputs connects to each of the 10 outputs, plus one bias per "
            "output: 288 · 10 + 10 = 2,890. 2,880 forgets the biases; 298 adds instead of "
            "multiplying; 288 counts the inputs."
        ),
    ),
    # 13. Total parameters of a network.
    _item(
        "A13",
        concept="total_parameters",
        stem=(f"{TINY_VGG} How many trainable parameters does the whole network have?"),
        options=["19,920", "19,870", "3,010", "17,310"],
        correct_index=0,
        explanation=(
            "conv_1_1 280 + conv_1_2 910 + conv_2_1 910 + conv_2_2 910 + output 16,910 = 19,920; "
            "ReLU, pooling and flatten have none. 19,870 forgets the biases; 3,010 forgets the "
            "dense layer; 17,310 ignores the input channels of the convolutions."
        ),
    ),
    _item(
        "B13",
        concept="total_parameters",
        stem=(
            "A network takes a 8×8×1 image: one 3×3 convolution with 4 filters (stride 1, no "
            "padding), ReLU, 2×2 max pooling (stride 2), flatten, and a dense layer of 10 classes. "
            "How many trainable parameters does it have?"
        ),
        options=["396", "410", "40", "1,490"],
        correct_index=1,
        explanation=(
            "conv: 4 · (3·3·1 + 1) = 40; output 6×6×4 pooled to 3×3×4 = 36 values; dense: "
            "36 · 10 + 10 = 370; total 410. 396 forgets the biases; 40 forgets the dense layer; "
            "1,490 forgets that pooling shrinks the map."
        ),
    ),
]


def seed_default_items(session: Session) -> int:
    """Insert the built-in forms into an empty bank; returns how many were inserted."""
    if session.scalar(select(func.count()).select_from(Item)):
        return 0
    for data in DEFAULT_ITEMS:
        session.add(Item(**data.model_dump()))
    session.commit()
    return len(DEFAULT_ITEMS)

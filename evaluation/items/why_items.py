# ruff: noqa: RUF001  (student-facing text uses the true multiplication and minus signs)
"""The "why" items (positions 14-16): what a filter detects, how far a value sees, and
what an activation map says: what the explorer is meant to teach, beyond arithmetic.

Both arms are taught these facts (docs/study.md, "Same facts in both arms"); every keyed
answer and every wrong option is derived in ``tests/evaluation/test_item_bank.py``.
"""

from __future__ import annotations

from evaluation.items.builtin_item import builtin_item
from evaluation.schemas import ItemData

WHY_ITEMS: list[ItemData] = [
    # 14. What a first-layer filter detects.
    builtin_item(
        "A14",
        concept="filter_detects",
        stem=(
            "A first-layer filter of a grey-scale image has the 3×3 kernel "
            "[[−1, −1, −1], [0, 0, 0], [1, 1, 1]] (rows from top to bottom) and no bias. "
            "Which 3×3 patch of the image makes it respond most strongly?"
        ),
        options=[
            "a horizontal edge: dark above, bright below",
            "a horizontal edge: bright above, dark below",
            "an evenly bright patch",
            "a vertical edge: dark on the left, bright on the right",
        ],
        correct_index=0,
        explanation=(
            "The response is the sum of weight × pixel, largest where the image is bright under "
            "the positive weights (bottom row) and dark under the negative ones (top row): a "
            "horizontal edge, dark above and bright below. The opposite edge gives the most "
            "negative value (0 after ReLU); a vertical edge and an even patch give 0, because "
            "each row's weights, and all nine, add up to 0."
        ),
    ),
    builtin_item(
        "B14",
        concept="filter_detects",
        stem=(
            "A first-layer filter of a grey-scale image has the 3×3 kernel "
            "[[−1, 0, 1], [−1, 0, 1], [−1, 0, 1]] (rows from top to bottom) and no bias. "
            "Which 3×3 patch of the image makes it respond most strongly?"
        ),
        options=[
            "a horizontal edge: dark above, bright below",
            "an evenly bright patch",
            "a vertical edge: bright on the left, dark on the right",
            "a vertical edge: dark on the left, bright on the right",
        ],
        correct_index=3,
        explanation=(
            "The response is the sum of weight × pixel, largest where the image is bright under "
            "the positive weights (right column) and dark under the negative ones (left column): "
            "a vertical edge, dark on the left and bright on the right. The opposite edge gives "
            "the most negative value (0 after ReLU); a horizontal edge and an even patch give 0, "
            "because each column's weights, and all nine, add up to 0."
        ),
    ),
    # 15. Receptive field.
    builtin_item(
        "A15",
        concept="receptive_field",
        stem=(
            "Two 5×5 convolutions (stride 1, no padding) are followed by 2×2 max pooling "
            "(stride 2). One value of the pooling layer's output depends on a square patch of "
            "the input image. How large is that patch?"
        ),
        options=["9×9", "12×12", "2×2", "10×10"],
        correct_index=3,
        explanation=(
            "Each 5×5 convolution widens the patch a value sees by 5 − 1 = 4 pixels: 1 → 5 → 9. "
            "A pooling window covers two neighbouring values of the second convolution, whose "
            "patches are one pixel apart: 9 + 1 = 10. 9 forgets the pooling; 12 adds the window "
            "sizes as if the windows did not overlap; 2 counts only the pooling window."
        ),
    ),
    builtin_item(
        "B15",
        concept="receptive_field",
        stem=(
            "Two 7×7 convolutions (stride 1, no padding) are followed by 2×2 max pooling "
            "(stride 2). One value of the pooling layer's output depends on a square patch of "
            "the input image. How large is that patch?"
        ),
        options=["2×2", "14×14", "13×13", "16×16"],
        correct_index=1,
        explanation=(
            "Each 7×7 convolution widens the patch a value sees by 7 − 1 = 6 pixels: 1 → 7 → 13. "
            "A pooling window covers two neighbouring values of the second convolution, whose "
            "patches are one pixel apart: 13 + 1 = 14. 13 forgets the pooling; 16 adds the "
            "window sizes as if the windows did not overlap; 2 counts only the pooling window."
        ),
    ),
    # 16. Reading an activation map.
    builtin_item(
        "A16",
        concept="activation_map",
        stem=(
            "A first-layer filter that responds to vertical edges gives, after ReLU, the 4×4 "
            "map [[0, 0, 6, 0], [0, 0, 7, 0], [0, 0, 5, 0], [0, 0, 6, 0]] (rows from top to "
            "bottom). What does the map tell you about the image?"
        ),
        options=[
            "The image is bright under the third column and black everywhere else.",
            "The filter's weights are zero wherever the map is zero.",
            "A vertical edge runs under the third column; elsewhere the filter found none.",
            "The object of the predicted class lies under the third column only.",
        ],
        correct_index=2,
        explanation=(
            "Each value of the map is the filter's response to the patch of the image under it: "
            "large where the patch looks like the filter (here a vertical edge), 0 where the "
            "response was negative or zero. The map is not the image's brightness; the same "
            "weights are used everywhere; the class is decided much later, from all the maps."
        ),
    ),
    builtin_item(
        "B16",
        concept="activation_map",
        stem=(
            "A first-layer filter that responds to horizontal edges gives, after ReLU, the 4×4 "
            "map [[0, 0, 0, 0], [5, 8, 6, 7], [0, 0, 0, 0], [0, 0, 0, 0]] (rows from top to "
            "bottom). What does the map tell you about the image?"
        ),
        options=[
            "The object of the predicted class lies along the second row only.",
            "The image is bright along the second row and black everywhere else.",
            "A horizontal edge runs along the second row; elsewhere the filter found none.",
            "The filter's weights are zero wherever the map is zero.",
        ],
        correct_index=2,
        explanation=(
            "Each value of the map is the filter's response to the patch of the image under it: "
            "large where the patch looks like the filter (here a horizontal edge), 0 where the "
            "response was negative or zero. The map is not the image's brightness; the same "
            "weights are used everywhere; the class is decided much later, from all the maps."
        ),
    ),
]

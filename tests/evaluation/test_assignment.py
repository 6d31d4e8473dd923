"""Permuted blocks of random size, reproducible from the seed; score bands."""

from __future__ import annotations

from collections import Counter

import pytest

from evaluation.assignment import block_sequence
from evaluation.models import CONDITIONS
from evaluation.scoring import score_band, stratum_key


def blocks_are_balanced(sequence: list[str]) -> bool:
    """Every prefix of a permuted-block sequence differs by at most 2 between arms."""
    counts: Counter[str] = Counter()
    for arm in sequence:
        counts[arm] += 1
        if abs(counts["cnn101"] - counts["conventional"]) > 2:
            return False
    return True


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**61])
def test_sequence_is_reproducible_and_balanced(seed: int) -> None:
    sequence = block_sequence(seed, "condition", "mid|ml_no", CONDITIONS, 200)
    assert sequence == block_sequence(seed, "condition", "mid|ml_no", CONDITIONS, 200)
    assert block_sequence(seed, "condition", "mid|ml_no", CONDITIONS, 37) == sequence[:37]
    assert blocks_are_balanced(sequence)
    assert abs(sequence.count("cnn101") - sequence.count("conventional")) <= 2


def test_strata_and_seeds_give_different_sequences() -> None:
    base = block_sequence(7, "condition", "low|ml_no", CONDITIONS, 40)
    assert base != block_sequence(7, "condition", "low|ml_yes", CONDITIONS, 40)
    assert base != block_sequence(8, "condition", "low|ml_no", CONDITIONS, 40)


def test_both_block_sizes_occur() -> None:
    """Blocks of 4 show up as runs that a block size of 2 could never produce."""
    sequence = block_sequence(3, "condition", "high|ml_yes", CONDITIONS, 400)
    pairs = [sequence[i : i + 2] for i in range(0, 400, 2)]
    assert any(a == b for a, b in pairs)  # impossible if every block had size 2
    assert blocks_are_balanced(sequence)


@pytest.mark.parametrize(
    ("correct", "band"),
    [(0, "low"), (4, "low"), (5, "mid"), (8, "mid"), (9, "high"), (13, "high")],
)
def test_score_bands_on_a_13_item_form(correct: int, band: str) -> None:
    assert score_band(correct, 13) == band


def test_stratum_key() -> None:
    assert stratum_key("mid", True) == "mid|ml_yes"
    with pytest.raises(ValueError, match="at least one item"):
        score_band(0, 0)

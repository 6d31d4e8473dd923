"""How hard each item of forms A and B was, pair by pair, from a study's answers export.

Usage: python scripts/form_parity.py ANSWERS [--phase pre|post|all]

ANSWERS is the study's export/answers.csv or export/answers.json (evaluation/export.py).
For each position it prints the proportion correct on form A and on form B (each with its
number of answers) and the difference A - B, then each form's mean. The default phase is
the pre-test: before any teaching, and counterbalanced (half the class takes A first), so
a difference there is the forms', not the conditions'. Items nobody answered are not in
the export, so a form with many unanswered items looks easier than it is; the numbers
describe this class only (docs/study.md, "Parallel forms").
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any


@dataclass(frozen=True)
class Difficulty:
    correct: int
    answered: int

    @property
    def proportion(self) -> float:
        return self.correct / self.answered


@dataclass(frozen=True)
class PairRow:
    position: int
    concept: str
    a: Difficulty | None
    b: Difficulty | None

    @property
    def difference(self) -> float | None:
        if self.a is None or self.b is None:
            return None
        return self.a.proportion - self.b.proportion


def read_answers(path: Path) -> list[dict[str, Any]]:
    """The rows of an answers export, CSV or JSON ({"codebook": ..., "rows": [...]})."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        rows: list[dict[str, Any]] = json.loads(text)["rows"]
        return rows
    return list(csv.DictReader(text.splitlines()))


def pair_rows(rows: Iterable[dict[str, Any]], phase: str = "pre") -> list[PairRow]:
    """Each position's difficulty on both forms, from the rows of ``phase`` ("all": both)."""
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    concepts: dict[int, str] = {}
    for row in rows:
        if phase != "all" and row["phase"] != phase:
            continue
        position = int(row["position"])
        cell = counts[(position, str(row["form"]))]
        cell[0] += int(row["is_correct"])
        cell[1] += 1
        concepts.setdefault(position, str(row["concept"]))

    def difficulty(position: int, form: str) -> Difficulty | None:
        cell = counts.get((position, form))
        return Difficulty(cell[0], cell[1]) if cell else None

    return [
        PairRow(position, concepts[position], difficulty(position, "A"), difficulty(position, "B"))
        for position in sorted(concepts)
    ]


def form_means(pairs: Sequence[PairRow]) -> dict[str, float | None]:
    """Each form's mean item difficulty (the items it has answers for)."""
    means: dict[str, float | None] = {}
    for form in "AB":
        values = [
            cell.proportion
            for pair in pairs
            if (cell := pair.a if form == "A" else pair.b) is not None
        ]
        means[form] = mean(values) if values else None
    return means


def _cell(difficulty: Difficulty | None) -> str:
    if difficulty is None:
        return f"{'-':>12}"
    return f"{difficulty.proportion:>5.2f} ({difficulty.answered:>4})"


def report(pairs: Sequence[PairRow], phase: str) -> str:
    lines = [
        f"Item difficulty (proportion correct), phase: {phase}",
        f"{'pos':>3}  {'concept':<20} {'A (n)':>12} {'B (n)':>12} {'A - B':>7}",
    ]
    for pair in pairs:
        difference = "" if pair.difference is None else f"{pair.difference:+.2f}"
        lines.append(
            f"{pair.position:>3}  {pair.concept:<20} {_cell(pair.a)} {_cell(pair.b)} "
            f"{difference:>7}"
        )
    means = form_means(pairs)
    shown = {form: "-" if value is None else f"{value:.2f}" for form, value in means.items()}
    lines.append(f"mean item difficulty: form A {shown['A']}, form B {shown['B']}")
    differences = [pair.difference for pair in pairs if pair.difference is not None]
    if differences:
        largest = max(differences, key=abs)
        lines.append(f"largest pair difference: {largest:+.2f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers", type=Path, help="export/answers.csv or .json of a study")
    parser.add_argument("--phase", choices=["pre", "post", "all"], default="pre")
    args = parser.parse_args(argv)
    try:
        rows = read_answers(args.answers)
        pairs = pair_rows(rows, args.phase)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read {args.answers} as an answers export: {exc}", file=sys.stderr)
        return 2
    if not pairs:
        print(f"error: no {args.phase}-test answers in {args.answers}", file=sys.stderr)
        return 1
    print(report(pairs, args.phase))
    return 0


if __name__ == "__main__":
    sys.exit(main())

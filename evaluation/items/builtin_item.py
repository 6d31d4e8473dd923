"""How a built-in item is written: its form and position follow from its key (A01, B16...)."""

from __future__ import annotations

from evaluation.schemas import ItemData


def builtin_item(
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

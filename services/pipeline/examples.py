"""The example images students pick from: the validation images of the data directory.

An example's id is its file stem (``val_1083``), stable across restarts and machines with
the same data. The catalogue is read once from ``val/val_annotations.txt``; pixels are
decoded on demand through the same preprocessing as uploads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.pipeline.classes import ImageClass
from services.pipeline.data import list_annotated_files, load_image


@dataclass(frozen=True)
class Example:
    """One example image: its id, class index and name, and file."""

    id: str
    label: int
    class_name: str
    path: Path


class ExampleCatalog:
    """Examples by id, in class order then file order."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self._examples = list(examples)
        self._by_id = {example.id: example for example in self._examples}

    @classmethod
    def from_data_dir(cls, data_dir: Path, classes: Sequence[ImageClass]) -> ExampleCatalog:
        files = list_annotated_files(data_dir / "val", classes)
        examples = [
            Example(path.stem, label, classes[label].name, path)
            for path, label in sorted(files, key=lambda item: (item[1], _numeric_stem(item[0])))
        ]
        return cls(examples)

    def __iter__(self) -> Iterator[Example]:
        return iter(self._examples)

    def __len__(self) -> int:
        return len(self._examples)

    def get(self, example_id: str) -> Example | None:
        return self._by_id.get(example_id)

    def pixels(self, example_id: str, size: int) -> np.ndarray:
        """The normalised input of an example (KeyError when the id is unknown)."""
        return load_image(self._by_id[example_id].path, size)


def _numeric_stem(path: Path) -> tuple[int, str]:
    digits = "".join(ch for ch in path.stem if ch.isdigit())
    return (int(digits) if digits else 0, path.stem)

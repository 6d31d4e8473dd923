"""Score an exported model on a folder in the official validation layout."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from services.pipeline.bundle import ModelBundle
from services.pipeline.classes import ImageClass
from services.pipeline.data import load_annotated
from services.pipeline.preprocess import scale_to_unit


@dataclass(frozen=True)
class EvaluationReport:
    """Top-1 accuracy, per-class accuracy and the confusion matrix (rows: true class)."""

    classes: tuple[ImageClass, ...]
    confusion: np.ndarray

    @property
    def count(self) -> int:
        return int(self.confusion.sum())

    @property
    def top1(self) -> float:
        return float(np.trace(self.confusion) / max(1, self.count))

    @property
    def interval(self) -> tuple[float, float]:
        """95 % Wilson interval of the top-1 accuracy (see :func:`wilson_interval`)."""
        return wilson_interval(int(np.trace(self.confusion)), self.count)

    @property
    def per_class(self) -> list[float]:
        totals = self.confusion.sum(axis=1)
        return [
            float(self.confusion[i, i] / totals[i]) if totals[i] else float("nan")
            for i in range(len(self.classes))
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "images": self.count,
            "top1": self.top1,
            "top1_interval_95": list(self.interval),
            "per_class": {c.name: a for c, a in zip(self.classes, self.per_class, strict=True)},
            "confusion": self.confusion.tolist(),
        }


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (Wilson 1927).

    Chosen over the normal approximation because it stays inside [0, 1] and keeps its
    coverage near 0 and 1 and for 25-image classes; stdlib only, so the model worker needs
    no SciPy or statsmodels for four lines of arithmetic.
    """
    if trials <= 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts of (true class, predicted class) pairs."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def report_for(
    classes: Sequence[ImageClass], true: np.ndarray, probabilities: np.ndarray
) -> EvaluationReport:
    predicted = np.argmax(probabilities, axis=1)
    return EvaluationReport(tuple(classes), confusion_matrix(true, predicted, len(classes)))


def evaluate(bundle: ModelBundle, split_dir: Path, batch_size: int = 256) -> EvaluationReport:
    """Run ``serving_default`` of ``bundle`` over every image of ``split_dir``."""
    images = load_annotated(split_dir, bundle.classes, bundle.input_size)
    outputs = [
        bundle.probabilities(scale_to_unit(images.pixels[start : start + batch_size]))
        for start in range(0, len(images), batch_size)
    ]
    return report_for(bundle.classes, images.labels, np.concatenate(outputs))


def format_report(report: EvaluationReport) -> str:
    """A plain-text report: top-1, per-class accuracy, confusion matrix."""
    names = [c.name for c in report.classes]
    width = max(len(name) for name in names)
    lines = [
        f"images: {report.count}",
        f"top-1 accuracy: {report.top1:.2%}",
        f"95 % Wilson interval: {report.interval[0]:.1%} to {report.interval[1]:.1%}",
        "",
        "per-class accuracy:",
    ]
    totals = report.confusion.sum(axis=1)
    for name, accuracy, total in zip(names, report.per_class, totals, strict=True):
        lines.append(f"  {name:<{width}}  {accuracy:7.2%}  ({total} images)")
    lines += ["", "confusion matrix (rows: true class, columns: predicted class):"]
    header = " " * (width + 4) + " ".join(f"{i:>4}" for i in range(len(names)))
    lines.append(header)
    for index, (name, row) in enumerate(zip(names, report.confusion, strict=True)):
        lines.append(f"{index:>2} {name:<{width}} " + " ".join(f"{v:>4}" for v in row))
    return "\n".join(lines)

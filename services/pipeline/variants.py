"""Train a variant of Tiny VGG for the model studio, export it as a new model version.

The instructor picks the shape (blocks, convs per block, filters, kernel, input size) and
the epochs; the recipe is the default model's (:mod:`services.pipeline.training`) with a
fixed seed. Progress and cancellation go through callbacks the caller hands in, so the
worker can write them to the job row; a cancelled run raises :class:`TrainingCancelledError`
before anything is exported.

:func:`train_variant` imports TensorFlow when called; the evaluation service checks a
configuration with :mod:`services.pipeline.variant_shape`, which needs nothing heavy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.common.model_store import ASSETS_DIR
from services.pipeline.classes import ImageClass
from services.pipeline.data import LabelledImages
from services.pipeline.evaluation import EvaluationReport, format_report
from services.pipeline.preprocess import scale_to_unit
from services.pipeline.variant_shape import feature_map_sizes

if TYPE_CHECKING:  # the architecture module imports Keras
    from services.pipeline.architecture import Architecture

EpochLog = dict[str, float]
OnEpoch = Callable[[int, int, EpochLog], None]
ShouldStop = Callable[[], bool]
CARD_FILE = "README.md"


class TrainingCancelledError(Exception):
    """The instructor cancelled the job; nothing was exported."""


def arch_sizes(arch: Architecture) -> list[int]:
    return feature_map_sizes(
        arch.input_size, arch.blocks, arch.convs_per_block, arch.kernel_size, arch.pool_size
    )


@dataclass(frozen=True)
class VariantResult:
    """The exported version; ``accuracy`` is on the test split, scored once after export."""

    version_dir: Path
    version: int
    accuracy: float
    history: dict[str, list[float]]
    selection_accuracy: float = 0.0


def render_variant_card(
    *,
    name: str,
    version: int,
    title: str,
    arch: Architecture,
    classes: Sequence[ImageClass],
    dataset: str,
    summary: dict[str, Any],
    test_report: EvaluationReport,
) -> str:
    """The model card of a studio-trained version (markdown, kept inside its folder)."""
    sides = arch_sizes(arch)
    history = summary.get("history", {})
    rows = "\n".join(
        f"| {epoch} | {loss:.3f} | {acc:.1%} | {vloss:.3f} | {vacc:.1%} |"
        for epoch, (loss, acc, vloss, vacc) in enumerate(
            zip(
                history.get("loss", []),
                history.get("accuracy", []),
                history.get("val_loss", []),
                history.get("val_accuracy", []),
                strict=False,
            ),
            start=1,
        )
    )
    class_list = ", ".join(c.name for c in classes)
    recipe = summary.get("recipe", {})
    low, high = test_report.interval
    return f"""# Model card: {title} (`{name}` version {version})

Trained in the CNN 101 model studio: {arch.blocks} block(s) of {arch.convs_per_block} x
({arch.kernel_size}x{arch.kernel_size} convolution with {arch.filters} filters, ReLU) and
2x2 max pooling (feature maps {" -> ".join(f"{s}x{s}" for s in sides)}), then flatten and a
dense layer with softmax over {len(classes)} classes.

- **Data**: {dataset}; classes in output order: {class_list}.
  Three separate splits: {summary.get("train_images", "?")} images train,
  {summary.get("val_images", "?")} **selection** images watch the run (the table below) and
  choose the checkpoint when the recipe does, and {test_report.count} **test** images are
  scored once, after export, and chose nothing.
- **Input**: RGB, {arch.input_size}x{arch.input_size}, centre-cropped and resized, scaled
  to [0, 1].
- **Accuracy on the test images**: **{test_report.top1:.1%}** (95 % Wilson interval
  {low:.1%} to {high:.1%}, {test_report.count} images). On the selection images:
  {summary.get("best_val_accuracy", 0.0):.1%} (kept: {summary.get("selected", "?")}).
- **Recipe**: the default model's (see `docs/development.md`), seed
  {recipe.get("seed", 0)}, {recipe.get("epochs", "?")} epochs;
  {summary.get("seconds", 0):.0f} s on {summary.get("machine", "the worker")}.

## Accuracy on the test images

```
{format_report(test_report)}
```

## Training

| epoch | loss | accuracy | selection loss | selection accuracy |
|---|---|---|---|---|
{rows}
"""


def train_variant(
    train_images: LabelledImages,
    selection_images: LabelledImages,
    test_images: LabelledImages,
    arch: Architecture,
    classes: Sequence[ImageClass],
    *,
    epochs: int,
    base_path: Path,
    name: str,
    title: str,
    dataset: str,
    on_epoch: OnEpoch | None = None,
    should_stop: ShouldStop | None = None,
    check_every_batches: int = 2,
) -> VariantResult:
    """Train, export ``base_path/name/<next version>``, score it on ``test_images`` once.

    ``selection_images`` watch the run (the progress the instructor sees) and choose the
    checkpoint when the recipe does; the test images choose nothing.
    """
    import keras

    from services.pipeline.evaluation import report_for
    from services.pipeline.export import export_model
    from services.pipeline.training import Recipe, train, training_summary

    arch_sizes(arch)

    class Reporter(keras.callbacks.Callback):  # type: ignore[misc]
        """Hands each epoch's metrics out and stops (by raising) when told to."""

        def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
            if should_stop is not None and batch % check_every_batches == 0 and should_stop():
                raise TrainingCancelledError

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            if should_stop is not None and should_stop():
                raise TrainingCancelledError
            if on_epoch is not None:
                on_epoch(epoch + 1, epochs, {k: float(v) for k, v in (logs or {}).items()})

    batch_size = 32 if len(train_images) < 2000 else 64
    # No distillation teacher: a class waits for this job, and its epochs are the teacher's too.
    recipe = Recipe(epochs=epochs, batch_size=batch_size, seed=0, teacher_width=0)
    result = train(
        train_images, selection_images, arch, classes, recipe, verbose=0, callbacks=[Reporter()]
    )
    if should_stop is not None and should_stop():
        raise TrainingCancelledError
    summary: dict[str, Any] = {
        **training_summary(result, recipe, len(train_images), len(selection_images)),
        "title": title,
        "source": "trained",
        "dataset": dataset,
        "history": result.history,
    }
    # Scored once, by the exported network (BN folded), before anything is written, so the
    # version's description records it.
    test_report = report_for(
        classes,
        test_images.labels,
        result.model.predict(scale_to_unit(test_images.pixels), batch_size=256, verbose=0),
    )
    summary["accuracy"] = test_report.top1
    summary["test"] = test_report.to_json()
    version_dir = export_model(result.model, base_path, name, classes, arch=arch, summary=summary)
    version = int(version_dir.name)
    card = render_variant_card(
        name=name,
        version=version,
        title=title,
        arch=arch,
        classes=classes,
        dataset=dataset,
        summary=summary,
        test_report=test_report,
    )
    (version_dir / ASSETS_DIR / CARD_FILE).write_text(card, encoding="utf-8")
    assert result.best_val_accuracy is not None  # the selection images watched the run
    return VariantResult(
        version_dir, version, test_report.top1, result.history, result.best_val_accuracy
    )

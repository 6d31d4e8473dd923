"""Write ``models/<name>/README.md``: what a model is, how it was made, how well it does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.pipeline.bundle import ModelBundle
from services.pipeline.evaluation import EvaluationReport, format_report


def render_model_card(
    bundle: ModelBundle, report: EvaluationReport, command: str, training: dict[str, Any]
) -> str:
    """Markdown model card from the export's own description and a fresh evaluation."""
    description = bundle.description
    arch = description.get("architecture") or {}
    layers = description["layers"]
    parameters = sum(t["length"] // 4 for t in description["weights"]["tensors"])
    layer_rows = "\n".join(
        f"| {layer['name']} | {layer['type']} | {'x'.join(map(str, layer['output_shape']))} "
        f"| {layer['unit']} | {layer['module']} |"
        for layer in layers
    )
    recipe = training.get("recipe", {})
    recipe_rows = "\n".join(f"| {key} | {value} |" for key, value in recipe.items())
    classes = ", ".join(c.name for c in bundle.classes)
    return f"""# Model card: `{bundle.name}` version {bundle.version}

Tiny VGG as in *CNN 101: Interactive Visual Learning for Convolutional Neural Networks*
(CHI'20): {arch.get("blocks", "?")} blocks of {arch.get("convs_per_block", "?")} x
(3x3 convolution with {arch.get("filters", "?")} filters, ReLU) and 2x2 max pooling, then
flatten and a dense layer with softmax; {parameters:,} parameters.

- **Data**: Tiny ImageNet (Stanford CS231n), the ten classes of the paper, in this order:
  {classes}. {training.get("train_images", "?")} training images (500 per class);
  model selection on the {training.get("val_images", "?")} validation images of the data
  directory. The images are not part of this repository.
- **Input**: RGB, 64x64, scaled to [0, 1] (`input`, float32, N x 64 x 64 x 3).
- **Signatures**: `serving_default` -> `probabilities`; `activations` -> every layer's
  output by layer name. `assets.extra/` holds `model.json` (classes, layer graph, weight
  manifest), `weights.bin` (little-endian float32) and `labels.txt`.

## Recipe
Trained with batch normalisation after each convolution, then folded into the convolution
weights before export (exact in inference), so the exported network has exactly the layers
below. Augmentation: horizontal flips, shifts of up to `shift_pixels` (reflect padding),
brightness / contrast / saturation jitter. AdamW, linear warm-up then cosine decay, label
smoothing. Two candidates are compared on the validation split: the single epoch with the
best accuracy (epoch {training.get("best_epoch", "?")} of {recipe.get("epochs", "?")}:
{training.get("best_epoch_val_accuracy", 0):.1%}) and the average of the weights of the
last epochs with batch-norm statistics recomputed on the training images (stochastic
weight averaging: {training.get("averaged_val_accuracy", 0):.1%}). Kept:
**{training.get("selected", "?")}**.
Training took {training.get("seconds", 0):.0f} s on {training.get("machine", "the build machine")}.

| setting | value |
|---|---|
{recipe_rows}

Reproduce it (same seed, same data; CPU thread scheduling can move the last digit):

```
{command}
```

## Layers
| layer | type | output | unit | module |
|---|---|---|---|---|
{layer_rows}

## Accuracy on the validation split ({report.count} images)
Measured by `cnn101 evaluate` on the exported SavedModel. This split also chose the epoch,
so it flatters the model a little; the held-out images of these classes judge it.

```
{format_report(report)}
```
"""


def write_model_card(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")

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
  {classes}. The images are not part of this repository.
- **Input**: RGB, 64x64, scaled to [0, 1] (`input`, float32, N x 64 x 64 x 3).
- **Signatures**: `serving_default` -> `probabilities`; `activations` -> every layer's
  output by layer name. `assets.extra/` holds `model.json` (classes, layer graph, weight
  manifest), `weights.bin` (little-endian float32), `labels.txt` and a LiteRT copy.

## Which images chose what
- **Training**: {_training_images(training)}.
- **Selection split**: {_selection_text(training)}
- **Validation split**: the {report.count} images of `val/`, scored **once**, below, after
  export. They chose nothing: not the recipe, not the epoch, not the seed (seed
  {recipe.get("seed", "?")} was fixed in advance; the spread over seeds is in
  `docs/development.md`).

## Recipe
{_recipe_text(recipe)}
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

## Accuracy on the validation split ({report.count} images, scored once)
Measured by `cnn101 evaluate` on the exported SavedModel; the interval is the 95 % Wilson
score interval of the top-1 accuracy ({report.count} images: about +-5 points).

```
{format_report(report)}
```
"""


def _training_images(training: dict[str, Any]) -> str:
    train, selection = training.get("train_images"), training.get("val_images")
    if isinstance(train, int) and selection == 0:
        return f"all {train:,} training images, the selection split included"
    if isinstance(train, int) and isinstance(selection, int):
        return f"{train:,} of the {train + selection:,} training images"
    return f"{train} training images"


def _selection_text(training: dict[str, Any]) -> str:
    chosen = (
        '50 training images per class, those whose SHA-256 of `"0:<file name>"` sorts first '
        "(`services.pipeline.data.split_selection`). The recipe and its number of epochs were "
        "chosen on them (the experiments are in `docs/development.md`)"
    )
    if training.get("val_images") == 0:
        return (
            f"{chosen}. Once chosen, this final fit trained on them too (`--fit-all`), "
            "keeping the last epoch: nothing watched the run."
        )
    return (
        f"the other {training.get('val_images', '?')} training images: {chosen}; during this "
        f"run they only watch ({_kept_text(training)})."
    )


OPTIMIZERS = {"adamw": "AdamW", "sgd": "SGD with Nesterov momentum"}


def _kept_text(training: dict[str, Any]) -> str:
    selected = str(training.get("selected", "?"))
    accuracy = float(training.get("best_val_accuracy") or 0.0)
    if training.get("recipe", {}).get("keep") == "last":
        return f"the last epoch is kept whatever they say; they scored it {accuracy:.1%}"
    return f"and chose the checkpoint: {selected}, {accuracy:.1%} on them"


def _recipe_text(recipe: dict[str, Any]) -> str:
    """The recipe in words, from the settings recorded in the export."""
    norm = (
        "with batch normalisation after each convolution, folded into the convolution "
        "weights before export (exact in inference)"
        if recipe.get("batch_norm", True)
        else "without batch normalisation: the trained layers are the exported ones"
    )
    jitter = [
        f"{name} ±{float(recipe[name]):.0%}"
        for name in ("brightness", "contrast", "saturation")
        if float(recipe.get(name, 0) or 0) > 0
    ]
    schedule = (
        "a one-cycle schedule (up from a 25th of the peak over 30 % of the steps, then cosine "
        "down to nearly zero)"
        if recipe.get("schedule") == "one_cycle"
        else "linear warm-up then cosine decay"
    )
    extras = []
    if float(recipe.get("zoom", 0) or 0) > 0:
        extras.append(f"random zoom ±{float(recipe['zoom']):.0%}")
    if float(recipe.get("rotation", 0) or 0) > 0:
        extras.append(f"random rotation of up to {recipe['rotation']} degrees")
    if float(recipe.get("mixup", 0) or 0) > 0:
        extras.append(f"mixup (Beta({recipe['mixup']}, {recipe['mixup']}))")
    if int(recipe.get("cutout", 0) or 0) > 0:
        extras.append(f"cutout of a {recipe['cutout']}-pixel square")
    if float(recipe.get("label_smoothing", 0) or 0) > 0:
        extras.append(f"label smoothing {recipe['label_smoothing']}")
    if recipe.get("teacher_kind") == "tiny_vgg":
        extras.append("distillation from a Tiny VGG teacher trained first (born-again)")
    elif int(recipe.get("teacher_width", 0) or 0) > 0:
        extras.append(f"distillation from a width-{recipe['teacher_width']} residual teacher")
    return (
        f"Trained {norm}, so the exported network has exactly the layers below. "
        f"Augmentation: horizontal flips, shifts of up to {recipe.get('shift_pixels', '?')} "
        f"pixels with reflect padding, {', '.join(jitter) or 'no colour'} jitter. "
        f"{OPTIMIZERS.get(str(recipe.get('optimizer')), recipe.get('optimizer'))}, "
        f"peak learning rate "
        f"{recipe.get('learning_rate', '?')}, weight decay {recipe.get('weight_decay', '?')}, "
        f"batch {recipe.get('batch_size', '?')}, {recipe.get('epochs', '?')} epochs, {schedule}"
        + (f"; {', '.join(extras)}" if extras else "")
        + "."
    )


def write_model_card(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")

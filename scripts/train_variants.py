"""Train a recipe on train-minus-selection and print its selection-split accuracy.

The honest protocol of issue 16: recipes, epochs and checkpoints are chosen on a selection
split carved from the training images (``split_selection``: 50 images per class, fixed by a
hash of the file name), never on the validation split, which is used once, at the end.

    .venv/bin/python scripts/train_variants.py --data-dir ../shared/data/tiny-imagenet-10 \
        --epochs 60 --set weight_decay=1e-4 --set shift_pixels=4 --seed 0

Prints one JSON line: recipe, selection accuracy (of the checkpoint ``train()`` picked on the
selection split), seconds and the load average before and after, so the variants table in
docs/development.md reproduces.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--selection-per-class", type=int, default=50)
    parser.add_argument("--selection-seed", type=int, default=0)
    parser.add_argument("--limit-per-class", type=int, default=None, help="smoke runs only")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    args = parser.parse_args()

    from services.pipeline.architecture import Architecture
    from services.pipeline.classes import CNN101_CLASSES
    from services.pipeline.data import load_train, split_selection
    from services.pipeline.training import Recipe, train

    overrides: dict[str, Any] = {"epochs": args.epochs, "seed": args.seed}
    for item in args.set:
        key, _, text = item.partition("=")
        overrides[key] = _value(text)
    recipe = dataclasses.replace(Recipe(), **overrides)

    images = load_train(args.data_dir, CNN101_CLASSES)
    fit_images, selection = split_selection(
        images, args.selection_per_class, seed=args.selection_seed
    )
    if args.limit_per_class:
        from services.cli import _limit_per_class

        fit_images = _limit_per_class(fit_images, args.limit_per_class)
    arch = Architecture(num_classes=len(CNN101_CLASSES))
    load_before = os.getloadavg()
    started = time.perf_counter()
    result = train(fit_images, selection, arch, CNN101_CLASSES, recipe, verbose=2)
    seconds = time.perf_counter() - started
    assert result.best_val_accuracy is not None  # the selection images watched the run
    print(
        json.dumps(
            {
                "recipe": recipe.to_json(),
                "train_images": len(fit_images),
                "selection_images": len(selection),
                "selected": result.selected,
                "selection_accuracy": round(result.best_val_accuracy, 4),
                "last_epoch_accuracy": round(result.history["val_accuracy"][-1], 4),
                "best_epoch": result.best_epoch,
                "best_epoch_accuracy": round(result.best_epoch_accuracy, 4),
                "averaged_accuracy": round(result.averaged_accuracy, 4),
                "final_train_accuracy": round(result.history["accuracy"][-1], 4),
                "seconds": round(seconds, 1),
                "load_before": [round(x, 2) for x in load_before],
                "load_after": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Untrained models exported in the real layout, for tests of the services that serve them.

Weights come from a fixed seed, so two exports with the same arguments are identical; the
serving tests compare what a service returns with what the SavedModel itself computes.
"""

from __future__ import annotations

from pathlib import Path

from services.pipeline.architecture import TINY_VGG, Architecture, build_model
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.export import export_model
from tests.synthetic import write_tiny_imagenet


def export_untrained(
    base_path: Path,
    name: str = "tiny_vgg",
    version: int = 1,
    arch: Architecture = TINY_VGG,
    seed: int = 0,
) -> Path:
    """Export a freshly initialised ``arch`` as ``base_path/name/version``; return that folder."""
    model = build_model(arch, seed=seed)
    classes = CNN101_CLASSES[: arch.num_classes]
    return export_model(model, base_path, name, classes, arch=arch, version=version)


def export_trained(
    base_path: Path,
    data_root: Path,
    arch: Architecture,
    name: str,
    version: int = 1,
    *,
    per_class: int = 6,
    epochs: int = 2,
    seed: int = 0,
) -> Path:
    """Train ``arch`` for real but briefly on a synthetic data set, export it; return the folder.

    The recipe is the pipeline's own (augmentation, AdamW, batch-norm folding, selection),
    shortened to ``epochs`` on ``per_class`` images of each class made under ``data_root``,
    so a differently shaped network goes through every step a trained model does.
    """
    from services.pipeline.data import load_train, load_validation
    from services.pipeline.training import Recipe, train

    classes = CNN101_CLASSES[: arch.num_classes]
    data_dir = write_tiny_imagenet(data_root, classes, per_class=per_class, val_per_class=2)
    recipe = Recipe(epochs=epochs, batch_size=16, seed=seed)
    result = train(
        load_train(data_dir, classes, arch.input_size),
        load_validation(data_dir, classes, arch.input_size),
        arch,
        classes,
        recipe,
        verbose=0,
    )
    summary = {
        "recipe": recipe.to_json(),
        "selected": result.selected,
        "best_val_accuracy": result.best_val_accuracy,
        "train_images": per_class * len(classes),
    }
    return export_model(
        result.model, base_path, name, classes, arch=arch, summary=summary, version=version
    )

"""Untrained models exported in the real layout, for tests of the services that serve them.

Weights come from a fixed seed, so two exports with the same arguments are identical; the
serving tests compare what a service returns with what the SavedModel itself computes.
"""

from __future__ import annotations

from pathlib import Path

from services.pipeline.architecture import TINY_VGG, Architecture, build_model
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.export import export_model


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

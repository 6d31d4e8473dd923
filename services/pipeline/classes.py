"""The ten Tiny ImageNet classes of CNN 101, in the paper's order.

The order is part of the model contract (DESIGN.md): output unit *i* of the default
model is class *i* of this list, so the SPA and the study material can name it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageClass:
    """One class: its WordNet id (the folder name in the archive) and its display name."""

    wnid: str
    name: str


CNN101_CLASSES: tuple[ImageClass, ...] = (
    ImageClass("n03662601", "lifeboat"),
    ImageClass("n02165456", "ladybug"),
    ImageClass("n07873807", "pizza"),
    ImageClass("n07720875", "bell pepper"),
    ImageClass("n04146614", "school bus"),
    ImageClass("n01882714", "koala"),
    ImageClass("n07920052", "espresso"),
    ImageClass("n02509815", "red panda"),
    ImageClass("n07747607", "orange"),
    ImageClass("n04285008", "sport car"),
)

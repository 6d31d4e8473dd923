"""The model card of an imported version: where it came from and what was changed.

A teacher who uploads a model should see on its card that CNN 101 neither trained nor
evaluated it, and every rewrite the conversion made, layer by layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.pipeline.classes import ImageClass

__all__ = ["FORMAT_LABELS", "render_import_card"]

FORMAT_LABELS = {"keras": "Keras (.keras)", "h5": "Keras (.h5)", "tfjs": "TensorFlow.js layers"}


def render_import_card(
    name: str, version: int, summary: dict[str, Any], classes: Sequence[ImageClass]
) -> str:
    """Markdown card for an imported version: where it came from and what was changed."""
    rows = "\n".join(
        f"| {e['source']} | {e['class_name']} | {', '.join(e['became'])} | {e.get('note', '')} |"
        for e in summary["layer_map"]
    )
    notes = "\n".join(f"- {note}" for note in summary["notes"]) or "- nothing: imported as it was"
    return f"""# Model card: `{name}` version {version} (imported)

Imported from a {summary["source_format_label"]} file ({", ".join(summary["files"])}) by
`cnn101 import-model`; {summary["parameters"]:,} parameters, input RGB
{summary["input_size"]}x{summary["input_size"]} in [0, 1].
Classes, in output order: {", ".join(c.name for c in classes)}.
This model was not trained or evaluated by CNN 101: its accuracy is whatever its author's was.

## What was normalised
{notes}

## Source layers
| source layer | type | became | note |
|---|---|---|---|
{rows}
"""

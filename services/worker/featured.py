"""Which example the explorer opens with: the one the model is surest of, and right about.

The explorer used to open with the list's first example (val_181, a small blurred
lifeboat): noisy activation maps, and the model trained on 5 December 2026 calls it an
orange, so a student's first sight of the network was a mistake (issue 15). A picture the
model classifies correctly with the highest probability shows its class's typical features
as the model learnt them, which gives the clearest maps it has to offer. Chosen for each
model version from the bundles the worker renders anyway (services/worker/rendering.py), so
imported and studio models get one too; documented in docs/frontend.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def featured_example(
    scored: Iterable[tuple[str, str, Sequence[float]]], class_names: Sequence[str]
) -> str | None:
    """The id of the correctly classified example with the highest true-class probability.

    ``scored`` gives (example id, its class's name, the model's probabilities) in catalog
    order; the first of equal probabilities wins. None when no example is of a class the
    model knows, or none is classified correctly.
    """
    index = {name: i for i, name in enumerate(class_names)}
    best: tuple[float, str] | None = None
    for example_id, class_name, probabilities in scored:
        true = index.get(class_name)
        if true is None or len(probabilities) != len(class_names):
            continue
        probability = float(probabilities[true])
        if probability < max(probabilities):
            continue  # classified as something else
        if best is None or probability > best[0]:
            best = (probability, example_id)
    return None if best is None else best[1]

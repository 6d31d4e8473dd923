"""The methods sentences for course sections and the intention-to-treat analysis.

Apart from evaluation/methods_text.py so that file stays short; each returns nothing for
results frozen before these analyses existed, so older reports read as they did.
"""

from __future__ import annotations

from evaluation.analysis_clustered import FEW_CLUSTERS, SectionSensitivity
from evaluation.analysis_itt import RULE, IntentionToTreat
from evaluation.models import Study


def itt_methods(itt: IntentionToTreat) -> str:
    same = (
        " Here nobody randomised left before the post-test, so both populations are the same."
        if itt.identical_to_complete_cases
        else f" {itt.imputed} of the {itt.n} randomised students had no post-test."
    )
    return (
        "Beside it, an intention-to-treat analysis takes every randomised student who did "
        "not withdraw, in the condition they were assigned, with the primary model; "
        f"{RULE}, a conservative rule that credits no learning to a student who left." + same
    )


def sections_methods(study: Study, sensitivity: SectionSensitivity | None) -> list[str]:
    names = list(study.sections or [])
    if not names:
        return []
    text = (
        f"Sections: the study ran in {len(names)} course sections "
        f"({', '.join(names)}); each student chose theirs at consent, and the section was "
        "part of every allocation stratum, so each section was balanced on its own."
    )
    if sensitivity is not None:
        text += (
            f" Sensitivity analyses: the primary model with section fixed effects, and the "
            f"primary model with cluster-robust (CR1) standard errors by section "
            f"({sensitivity.clusters} clusters), tested with t on G - 1 degrees of freedom"
        )
        text += (
            f"; with fewer than {FEW_CLUSTERS} clusters these errors are unreliable, so the "
            "fixed-effects model is the main check."
            if sensitivity.clusters < FEW_CLUSTERS
            else "."
        )
    return [text]

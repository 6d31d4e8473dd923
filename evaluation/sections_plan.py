"""What the pre-registration says about course sections (only for a study that has them).

Apart from evaluation/preregistration.py to keep it short; a study without sections gets
no key from here, so its document reads as before.
"""

from __future__ import annotations

from typing import Any

from evaluation.analysis_clustered import FEW_CLUSTERS
from evaluation.models import Study


def sections_design(study: Study) -> dict[str, Any]:
    names = list(study.sections or [])
    if not names:
        return {}
    return {
        "sections": {
            "names": names,
            "chosen": "by each student at consent, from this list (required to participate)",
            "stratum": "the section is part of every allocation sequence: form order "
            "ml_<yes|no>|s<index>, condition <band>|ml_<yes|no>|s<index>|<AB|BA> "
            "(index 0-based in this list), so each section is balanced on its own",
        }
    }


def sections_plan(study: Study) -> dict[str, Any]:
    if not study.sections:
        return {}
    return {
        "section_sensitivity": [
            "the primary model with section fixed effects (one indicator per section but "
            "the first): adjusted difference, SE, t on the residual df, 95 % CI",
            "the primary model's condition effect with cluster-robust (CR1) standard errors "
            "by section, t on G - 1 degrees of freedom (G sections analysed), 95 % CI; "
            f"flagged as unreliable with fewer than {FEW_CLUSTERS} clusters",
            "computed when the analysed students come from 2 or more sections; "
            "results_field: section_sensitivity",
        ]
    }

"""The report's population labels, its intention-to-treat and its section checks.

Apart from evaluation/report.py to keep it short. Results frozen before these analyses
have no ``itt`` or ``section_sensitivity``: nothing is printed for them; their tables'
populations were the same, so the labels come from evaluation/populations.py.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from evaluation.analysis_clustered import SectionEffect
from evaluation.plain_summary import apa_p
from evaluation.populations import POPULATIONS

if TYPE_CHECKING:
    from evaluation.analysis import Results


def population(results: Results, table: str) -> str:
    """The line that says which students a table describes."""
    text = (results.populations or POPULATIONS).get(table)
    return "" if text is None else f'<p class="population">Population: {html.escape(text)}.</p>'


def _p(value: float) -> str:
    text = apa_p(value)
    return text if text.startswith("<") else f"= {text}"


def _effect(effect: SectionEffect) -> str:
    return (
        f"{html.escape(effect.model)}: adjusted difference {effect.adjusted_difference:.3f} "
        f"(SE {effect.standard_error:.3f}), 95 % CI [{effect.ci_low:.3f}, "
        f"{effect.ci_high:.3f}], t({effect.df}) = {effect.t:.2f}, p {_p(effect.p)}"
    )


NOT_PLANNED = (
    '<p class="meta">Exploratory: not in this study&#x27;s pre-registration, which was '
    "written before the platform made this analysis.</p>"
)


def itt_html(results: Results) -> str:
    itt = results.itt
    if itt is None:
        return ""
    parts = [
        "<h3>Intention to treat</h3>",
        NOT_PLANNED if itt.planned is False else "",
        population(results, "itt"),
        f"<p>{html.escape(itt.rule.capitalize())}.</p>",
    ]
    if itt.identical_to_complete_cases:
        parts.append(f"<p>{html.escape(itt.statement)}</p>")
    elif itt.ancova is None:
        reason = html.escape(itt.ancova_undefined or "not computed")
        parts.append(f"<p>ITT ANCOVA (n = {itt.n}): undefined: {reason}.</p>")
    else:
        d = itt.ancova
        arms = "; ".join(f"{arm.condition} {arm.n} ({arm.imputed} imputed)" for arm in itt.arms)
        parts.append(
            f"<p>ITT ANCOVA, the primary model (n = {itt.n}: {html.escape(arms)}): adjusted "
            f"difference {d.adjusted_difference:.3f}, 95 % CI [{d.ci_low:.3f}, "
            f"{d.ci_high:.3f}], t({d.df}), p {_p(d.p)}; beside the complete-case "
            "primary analysis above.</p>"
        )
    return "".join(parts)


def sections_html(results: Results) -> str:
    s = results.section_sensitivity
    if s is None:
        return ""
    counts = ", ".join(f"{html.escape(row.section)} {row.n}" for row in s.sections)
    parts = [
        "<h3>Sections (sensitivity)</h3>",
        NOT_PLANNED if s.planned is False else "",
        population(results, "section_sensitivity"),
        f"<p>{s.n} students from {s.clusters} sections ({counts}).</p>",
    ]
    for effect, why in (
        (s.fixed_effects, s.fixed_effects_undefined),
        (s.clustered, s.clustered_undefined),
    ):
        if effect is not None:
            parts.append(f"<p>{_effect(effect)}.</p>")
        else:
            parts.append(f"<p>Undefined: {html.escape(why or 'not computed')}.</p>")
    if s.caveat:
        parts.append(f"<p><em>{html.escape(s.caveat)}</em></p>")
    return "".join(parts)

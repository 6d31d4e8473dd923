"""The report's methods section: every choice the design and the analysis made, in prose.

Written from the study's own settings (time limits, seed, design version) and its frozen
results (forms, who was analysed), so a researcher can paste it into a paper and a reviewer
can check it against the exports. It states what the analysis does not do as well
(no correction for several tests; older results: no intention-to-treat analysis), and cites the
pre-registration the analysis follows (evaluation/preregistration.py).
"""

from __future__ import annotations

from importlib.metadata import version

from evaluation.analysis import Results
from evaluation.analysis_ancova import EXACT_RANK_MAX_N
from evaluation.assignment import BLOCK_SIZES
from evaluation.methods_sections import itt_methods, sections_methods
from evaluation.models import Study


def _minutes(seconds: int) -> str:
    minutes = seconds / 60
    return f"{minutes:g} minute{'s' if minutes != 1 else ''}"


def _forms(results: Results) -> str:
    sizes = {
        form: len({row.item_key for row in results.items if row.form == form})
        for form in ("A", "B")
    }
    return " and ".join(f"form {form} ({size} items)" for form, size in sizes.items() if size)


def _allocation(study: Study) -> str:
    blocks = " or ".join(str(size) for size in BLOCK_SIZES)
    common = (
        f"Allocation used permuted blocks of random size ({blocks}), generated from the "
        f"study's seed ({study.assignment_seed}) so that every sequence can be re-derived "
        "and compared with the allocation export, which lists every slot taken, withdrawn "
        "students' too."
    )
    if study.design_version >= 2:
        return (
            f"{common} The form order (AB: form A as pre-test and B as post-test; BA: the "
            "reverse) came from one sequence per prior-machine-learning group, drawn before "
            "the pre-test; the condition from one sequence per stratum (pre-test score band, "
            "thirds of the maximum score, by prior machine-learning course) and form order, "
            "so each condition received both orders about equally often."
        )
    return (
        f"{common} The form order came from one sequence for the whole study and the "
        "condition from one sequence per stratum (pre-test score band by prior "
        "machine-learning course); this older design does not balance the form order "
        "within each condition."
    )


def _material(results: Results) -> list[str]:
    """The conventional arm's material by name, size and SHA-256 (none in older results)."""
    cited = results.conventional_material
    return [] if cited is None else [f"Conventional material: {cited.statement}"]


def _preregistration(results: Results) -> str:
    cited = results.preregistration
    if cited is None:
        return (
            "Pre-registration: none; the study opened before the platform wrote "
            "pre-registrations, so the analysis plan was not fixed in advance."
        )
    return (
        f"Pre-registration: {cited.statement} The document (design, allocation, seed, time "
        "limits, the exact item versions, this analysis plan and the power plan for the "
        "expected class size) was written by the platform when the study opened, before "
        "any student answered, and was not changed afterwards."
    )


def methods_paragraphs(study: Study, results: Results, counts: dict[str, int]) -> list[str]:
    """Plain paragraphs (no markup) for the report's Methods section."""
    analysed = sum(row.n for row in results.conditions)
    return [
        "Design: students who consented to take part took a pre-test, were randomly assigned "
        "to CNN 101 (the interactive explorer) or to the conventional material, studied "
        f"for {_minutes(study.learning_seconds)}, and took a post-test. Time limits: "
        f"pre-test {_minutes(study.pre_test_seconds)}, post-test "
        f"{_minutes(study.post_test_seconds)}; a test ends when handed in or at its limit.",
        *_material(results),
        _allocation(study),
        f"Measures: two parallel multiple-choice forms, {_forms(results)}; each student took "
        "one as pre-test and the other as post-test. A score is the proportion of the form's "
        "items answered correctly, unanswered items counting as wrong; the gain is post-test "
        "minus pre-test; Hake's normalised gain is computed on the condition means.",
        f"Analysed population: the {analysed} assigned students who finished both tests "
        f"(complete cases) of {counts.get('assigned', 0)} assigned and "
        f"{counts.get('joined', 0)} who joined. "
        + (
            "Students assigned but without a post-test are not analysed; no "
            "intention-to-treat analysis with imputed scores is made."
            if results.itt is None
            else itt_methods(results.itt)
        ),
        *sections_methods(study, results.section_sensitivity),
        "Primary analysis: ordinary least squares of the post-test score on condition with "
        "the pre-test score as covariate (and the form order, when both orders occur); the "
        "adjusted difference (CNN 101 minus conventional) with its 95 % confidence interval "
        "from the t distribution, standardised by the pooled standard deviation of the "
        "post-test scores. Checks: homogeneity of slopes (adding condition by pre-test), "
        "HC3 heteroscedasticity-robust standard errors, Welch's t on gains with Hedges' g "
        "(approximate 95 % interval), and the Mann-Whitney U test on gains (exact when both "
        f"groups have at most {EXACT_RANK_MAX_N} students and no tied gains, otherwise the "
        "normal approximation with tie and continuity correction). Statistics that are "
        "undefined (for example, every post-test at the ceiling) are reported as such, with "
        "the reason. Tests are two-sided; the ANCOVA is the one primary test and the others "
        "are not corrected for multiplicity.",
        "Instrument: KR-20 per form and phase; item difficulty (proportion correct) and "
        "discrimination (corrected item-total correlation), over the students who took the "
        "form in that phase. The questionnaire (UMUX-Lite, 0-100; mental effort, 1-9) is "
        "summarised descriptively.",
        _preregistration(results),
        f"Software: CNN 101's evaluation service with NumPy {version('numpy')} and SciPy "
        f"{version('scipy')}; every statistic is checked against statsmodels and pingouin "
        "in the project's tests. The results were frozen, with a SHA-256 of the document, "
        "when the study closed.",
    ]

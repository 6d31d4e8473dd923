"""The self-contained HTML report of a closed study, and the record of its build.

``build_report`` is a plain function (tested directly); the worker runs it through
``run_report_build``, which keeps percent and step in the ``study_report`` row so the
instructor's page can show progress without reaching the Celery result backend.

The file must open from a USB stick years later: no scripts, no fonts, no links to
fetch; the CSS is inline and the plots are hand-written SVG (``evaluation.report_svg``).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from evaluation.analysis import PlotData, Results
from evaluation.analysis_ancova import AncovaDetail
from evaluation.freeze import frozen
from evaluation.methods_text import methods_paragraphs
from evaluation.models import Study, StudyReport
from evaluation.plain_summary import apa_p
from evaluation.report_flow_svg import flow_diagram
from evaluation.report_sensitivity import itt_html, population, sections_html
from evaluation.report_svg import CONDITION_COLOURS, gain_chart, item_chart, slope_chart
from services.common.jobs import TaskName, TaskSender
from services.database.engine import SessionFactory
from services.database.schema import utcnow

logger = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
Clock = Callable[[], datetime]


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _p(value: float) -> str:
    """APA style (evaluation.plain_summary.apa_p), escaped for HTML: ``&lt; .001``."""
    return html.escape(apa_p(value))


def _form_sizes(results: Results) -> str:
    """'form A: 13 items, form B: 13 items', from the items the analysis saw."""
    sizes = {
        form: len({row.item_key for row in results.items if row.form == form})
        for form in sorted({row.form for row in results.items})
    }
    return ", ".join(f"form {form}: {size} items" for form, size in sizes.items()) or "no items"


# KR-20 below this is poor internal consistency for a classroom test (a negative value means
# the items disagree more than chance would make them): said next to the table.
LOW_RELIABILITY = 0.5


def _reliability_note(results: Results) -> str:
    low = [r for r in results.reliability if r.kr20 is not None and r.kr20 < LOW_RELIABILITY]
    if not low:
        return ""
    named = ", ".join(f"form {r.form} {r.phase}-test ({_fmt(r.kr20)})" for r in low)
    return (
        f"<p><strong>Low reliability:</strong> {html.escape(named)}. Below "
        f"{LOW_RELIABILITY} the items do not measure one thing consistently in this sample "
        "(negative: they disagree more than chance would make them); read per-item results "
        "with care, and with few students expect KR-20 to vary widely.</p>"
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;
max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #d8dde6}table{border-collapse:collapse;margin:.5rem 0}
th,td{padding:.2rem .6rem;border-bottom:1px solid #e3e7ee;text-align:right}
th:first-child,td:first-child{text-align:left}.meta{color:#5a6475}
figure{margin:1rem 0}figcaption{color:#5a6475;font-size:.9rem}
.prereg{border-left:3px solid #3b6ea5;padding-left:.6rem}
.key span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem}
@media print{body{margin:0}h2{break-after:avoid}figure{break-inside:avoid}}
"""


def _conditions_table(results: Results) -> str:
    rows = [
        [
            row.condition,
            str(row.n),
            f"{_fmt(row.pre_mean)} ({_fmt(row.pre_sd)})",
            f"{_fmt(row.post_mean)} ({_fmt(row.post_sd)})",
            f"{_fmt(row.gain_mean)} ({_fmt(row.gain_sd)})",
            _fmt(row.normalised_gain),
        ]
        for row in results.conditions
    ]
    header = ["condition", "n", "pre M (SD)", "post M (SD)", "gain M (SD)", "Hake's ⟨g⟩"]
    return _table(header, rows)


def _tests(results: Results) -> str:
    parts = []
    if results.ancova is None:
        reason = html.escape(results.ancova_undefined or "not computed")
        parts.append(f"<p>ANCOVA: not computed: {reason}.</p>")
    else:
        a = results.ancova
        # With the form-order ANCOVA present, that one is the (pre-registered) primary.
        label = (
            "<p><strong>Secondary: ANCOVA</strong> with the pre-test as the only covariate "
            f"(n = {a.n})"
            if results.ancova_detail is not None
            else "<p><strong>Primary analysis (ANCOVA</strong>, post-test on condition with "
            f"the pre-test as covariate, n = {a.n})"
        )
        parts.append(
            f"{label}: at equal pre-test scores, cnn101 minus "
            f"conventional = {_fmt(a.adjusted_difference, 3)} (SE "
            f"{_fmt(a.standard_error, 3)}); F(1, {a.df}) = {_fmt(a.f)}, p {_p(a.p)}, "
            f"partial η² = {_fmt(a.partial_eta_squared, 3)}; pre-test slope "
            f"{_fmt(a.pre_slope)}.</p>"
        )
    if results.ancova_detail is not None:
        parts.append(_ancova_detail(results.ancova_detail))
    if results.gain_test is not None:
        g = results.gain_test
        parts.append(
            f"<p>Welch's t on gains: t({_fmt(g.df, 1)}) = {_fmt(g.t)}, p {_p(g.p)}; "
            f"Hedges' g = {_fmt(g.hedges_g)}, 95 % CI [{_fmt(g.g_ci_low)}, "
            f"{_fmt(g.g_ci_high)}].</p>"
        )
    if results.gain_rank_test is not None:
        u = results.gain_rank_test
        method = {"exact": " (exact)", "asymptotic": " (normal approximation)"}.get(
            u.method or "", ""
        )
        parts.append(
            f"<p>Mann&ndash;Whitney U on gains: U = {_fmt(u.u, 1)}, p {_p(u.p)}{method}.</p>"
        )
    return "".join(parts)


def _flow(results: Results) -> str:
    if results.flow is None:
        return ""
    return f"<h2>Flow of students</h2><figure>{flow_diagram(results.flow)}</figure>"


def _questionnaire(results: Results) -> str:
    if not results.questionnaire:
        return ""
    rows = [
        [
            row.condition,
            str(row.n),
            f"{_fmt(row.umux_lite_mean, 1)} ({_fmt(row.umux_lite_sd, 1)})",
            f"{_fmt(row.mental_effort_mean)} ({_fmt(row.mental_effort_sd)})",
        ]
        for row in results.questionnaire
    ]
    header = ["condition", "n", "UMUX-Lite, 0-100: M (SD)", "mental effort, 1-9: M (SD)"]
    return (
        "<h2>Questionnaire</h2><p>Answered after the post-test by the assigned students who "
        "reached it; descriptives only (a secondary measure).</p>"
        + population(results, "questionnaire")
        + _table(header, rows)
    )


def _plain_summary(results: Results) -> str:
    if not results.plain_summary:
        return ""
    items = "".join(f"<li>{html.escape(sentence)}</li>" for sentence in results.plain_summary)
    return f'<h2>In plain words</h2><ul class="summary">{items}</ul>'


def _ancova_detail(d: AncovaDetail) -> str:
    """The ANCOVA with form order: CI, standardised effect, HC3 and slopes checks."""
    covariates = (
        "pre-test and form order (AB/BA) as covariates"
        if d.form_order_covariate
        else "pre-test as covariate (one form order only)"
    )
    standardised = (
        f"; standardised {_fmt(d.standardised_difference)} ({html.escape(d.standardiser)})"
        if d.standardised_difference is not None
        else ""
    )
    slopes = (
        f"condition &times; pre-test F = {_fmt(d.slopes_f)}, p {_p(d.slopes_p)}"
        if d.slopes_f is not None and d.slopes_p is not None
        else "not computed (too few students)"
    )
    note = f" <em>{html.escape(d.slopes_note)}</em>" if d.slopes_note else ""
    return (
        f"<p><strong>Primary analysis (ANCOVA)</strong>, post-test on condition with "
        f"{covariates} (n = {d.n}): adjusted difference "
        f"{_fmt(d.adjusted_difference, 3)}, 95 % CI [{_fmt(d.ci_low, 3)}, "
        f"{_fmt(d.ci_high, 3)}], t({d.df}), p {_p(d.p)}{standardised}. Robust (HC3) "
        f"standard error {_fmt(d.hc3_standard_error, 3)}, p {_p(d.hc3_p)}. Homogeneity "
        f"of slopes: {slopes}.{note}</p>"
    )


def _preregistration(results: Results) -> str:
    """The citation of the pre-registration the analysis follows, or why there is none."""
    cited = results.preregistration
    if cited is None:
        return (
            '<p class="prereg"><strong>Not pre-registered:</strong> this study opened before '
            "the platform wrote pre-registrations, so its analysis plan was not fixed in "
            "advance.</p>"
        )
    return f'<p class="prereg">{html.escape(cited.statement)}</p>'


def _material(results: Results) -> str:
    """The conventional arm's material (nothing in results frozen before it was recorded)."""
    cited = results.conventional_material
    return "" if cited is None else f'<p class="material">{html.escape(cited.statement)}</p>'


ITEM_PLOT_NOTE = (
    "the plot is not in the pre-registered plan (the table's difficulty and discrimination "
    "are planned descriptives)"
)


def _exploratory(results: Results, what: str) -> str:
    """Marks what the pre-registration does not plan (nothing for older studies)."""
    if results.preregistration is None:
        return ""
    return f'<p class="meta">Exploratory: {html.escape(what)}.</p>'


def _key() -> str:
    return (
        '<p class="key">'
        + "".join(
            f'<span style="background:{colour}"></span>{html.escape(condition)}'
            for condition, colour in CONDITION_COLOURS.items()
        )
        + "</p>"
    )


def render_report(
    study: Study, counts: dict[str, int], results: Results, plots: PlotData, generated_at: datetime
) -> str:
    """The whole report as one HTML document; every text from the database is escaped."""
    title = html.escape(study.title)
    closed = study.closed_at.strftime("%Y-%m-%d %H:%M UTC") if study.closed_at else "—"
    concept_rows = [
        [row.concept, row.condition, row.phase, str(row.answered), _fmt(row.proportion_correct)]
        for row in results.concepts
    ]
    item_rows = [
        [
            row.item_key,
            row.phase,
            row.concept,
            str(row.n),
            _fmt(row.difficulty),
            _fmt(row.discrimination),
        ]
        for row in results.items
    ]
    reliability_rows = [
        [row.form, row.phase, str(row.n), _fmt(row.kr20)] for row in results.reliability
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} — CNN 101 study report</title><style>{STYLE}</style></head>
<body>
<h1>{title}</h1>
<p class="meta">Study {study.id} · closed {closed} · report generated
{generated_at.strftime("%Y-%m-%d %H:%M UTC")} · {counts["joined"]} joined,
{counts["participated"]} took part, {counts["assigned"]} were assigned,
{len(plots.students)} took both tests, {counts["completed"]} answered the questionnaire</p>
<p>Scores are the proportion of a form's items answered correctly (0&ndash;1;
{_form_sizes(results)}); unanswered items count as wrong. Gain is post-test minus
pre-test.</p>
{_preregistration(results)}
{_material(results)}
{_plain_summary(results)}
{_flow(results)}
<h2>Methods</h2>
{"".join(f"<p>{html.escape(text)}</p>" for text in methods_paragraphs(study, results, counts))}
<h2>Outcomes by condition</h2>
{population(results, "conditions")}
{_conditions_table(results)}
{_tests(results)}
{itt_html(results)}
{sections_html(results)}
<h2>Each student's pre-test → post-test</h2>
<figure>{slope_chart(plots.students)}{_key()}<figcaption>One line per student who completed
both tests; the thick line joins the condition's means.</figcaption></figure>
<h2>Gains</h2>
<figure>{gain_chart(plots.gain_histogram)}{_key()}<figcaption>Number of students per gain
bin of 0.2, by condition.</figcaption></figure>
<h2>Concepts</h2>
{_exploratory(results, "correctness per concept is not in the pre-registered plan")}
{population(results, "concepts")}
{_table(["concept", "condition", "phase", "answers", "proportion correct"], concept_rows)}
<h2>Items</h2>
{_exploratory(results, ITEM_PLOT_NOTE)}
<figure>{item_chart(plots.items)}<figcaption>Difficulty (proportion correct) against
discrimination (corrected item&ndash;total correlation) of each item in each phase; items below
0.2 discriminate poorly.</figcaption></figure>
{population(results, "items")}
{_table(["item", "phase", "concept", "n", "difficulty", "discrimination"], item_rows)}
<h2>Reliability</h2>
{population(results, "reliability")}
{_table(["form", "phase", "n", "KR-20"], reliability_rows)}
{_reliability_note(results)}
{_questionnaire(results)}
<p class="meta">Raw data: the answers and participants exports (CSV or JSON) with their
codebook, from the instructor's page.</p>
</body></html>
"""


def build_report(
    session: Session, study_id: int, progress: Progress | None = None, clock: Clock = utcnow
) -> str:
    """Analyse the study and render its report, telling ``progress`` (percent, step)."""

    def report(percent: int, step: str) -> None:
        if progress is not None:
            progress(percent, step)

    study = session.get(Study, study_id)
    if study is None:
        raise LookupError(f"no study {study_id}")
    report(10, "reading the frozen results")
    # What the study's results were when it closed (evaluation/freeze.py), never what the
    # item bank says today.
    fixed = frozen(session, study, clock())
    report(30, "analysing outcomes")
    counts, results = fixed.counts, fixed.results
    report(60, "item statistics and plot data")
    plots = fixed.plots
    report(85, "drawing the plots")
    document = render_report(study, counts, results, plots, clock())
    report(100, "done")
    return document


def run_report_build(
    factory: SessionFactory,
    study_id: int,
    build_id: str,
    progress: Progress | None = None,
    clock: Clock = utcnow,
) -> str:
    """Build the report a ``study_report`` row asks for; return the row's final status.

    Idempotent: a build already done is not redone, a build superseded by a newer request
    stops without writing, and a failed or interrupted one starts again from the beginning.
    """
    with factory() as session:
        row = session.get(StudyReport, study_id)
        if row is None or row.build_id != build_id:
            return "superseded"
        if row.status == "done":
            return "done"
        row.status, row.percent, row.step = "running", 0, "starting"
        row.started_at, row.error = clock(), None
        session.commit()

        def record(percent: int, step: str) -> None:
            # Committed at once (and in the build's own session: SQLite allows one writer).
            row.percent, row.step = percent, step
            session.commit()
            if progress is not None:
                progress(percent, step)

        try:
            document = build_report(session, study_id, record, clock)
        except Exception as error:
            session.rollback()
            try:
                # The kind of error only: its text may name files, hosts or internals.
                row.status = "failed"
                row.error = (
                    f"the report build stopped on an unexpected error ({type(error).__name__}); "
                    f"the worker's log has the details under build {build_id}"
                )
                row.finished_at = clock()
                session.commit()
            except SQLAlchemyError:
                logger.exception("could not record the failed report build %s", build_id)
            raise
        row.html, row.status, row.finished_at = document, "done", clock()
        session.commit()
        return "done"


class ReportQueue(Protocol):
    """Where report builds are sent: the Celery broker in service, anything in a test."""

    def enqueue(self, study_id: int, build_id: str) -> None: ...


class CeleryReportQueue:
    """Sends the build task by name, so the evaluation service needs no worker code."""

    def __init__(self, broker_url: str) -> None:
        self.sender = TaskSender(broker_url)

    def enqueue(self, study_id: int, build_id: str) -> None:
        self.sender.send(TaskName.BUILD_STUDY_REPORT, args=[study_id, build_id], task_id=build_id)

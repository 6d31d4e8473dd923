"""The HTML report: the plain build function, the build record, and the instructor's routes.

The routes are given a queue that records what would go to Celery (the real worker is
driven in tests/serving/test_report_task.py); the build itself runs for real here.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evaluation.analysis import analyse
from evaluation.models import StudyReport
from evaluation.report import build_report, run_report_build
from services.database.engine import make_engine, make_session_factory
from tests.evaluation.closed_study import PLAN, run_closed_study
from tests.evaluation.conftest import FakeClock, db_session, instructor_client
from tests.evaluation.helpers import ITEMS_PER_FORM, join

HOSTILE_TITLE = "Spring <script>alert(1)</script> & co"


class RecordingQueue:
    """Stands in for the broker: remembers each build sent, or refuses when told to."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.down = False

    def enqueue(self, study_id: int, build_id: str) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        self.sent.append((study_id, build_id))


def test_build_report_is_one_self_contained_document(
    client: TestClient, database_url: str, clock: FakeClock
) -> None:
    admin = instructor_client(client, database_url)
    study = run_closed_study(client, admin, clock, plan=PLAN[:6], title=HOSTILE_TITLE)
    steps: list[tuple[int, str]] = []
    with db_session(database_url) as session:
        document = build_report(session, study["id"], lambda p, s: steps.append((p, s)))
        results = analyse(session, study["id"])
    Path("/tmp/cnn101-spa").mkdir(exist_ok=True)  # to be looked at (and screenshotted)
    Path("/tmp/cnn101-spa/study-report.html").write_text(document, encoding="utf-8")
    percents = [percent for percent, _ in steps]
    assert percents == sorted(set(percents)) and percents[-1] == 100 and len(steps) >= 4
    # Nothing to fetch and nothing to run: no URL, no script, no external style or image.
    lowered = document.lower()
    for forbidden in ("http:", "https:", "<script", "src=", "<link", "url(", "@import"):
        assert forbidden not in lowered, forbidden
    assert "Spring &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in document
    assert document.count("<svg") == 4  # the flow diagram and three plots
    assert "<h2>Flow of students</h2>" in document and "Randomised: 6" in document
    counts = "6 joined,\n6 took part, 6 were assigned,\n6 took both tests, 0 answered the"
    assert counts in document
    # One line per completed student in the pre -> post chart, plus one mean per condition.
    assert len(re.findall(r'stroke-opacity="0.35"', document)) == 6
    assert results.ancova is not None and results.gain_test is not None
    assert f"F(1, {results.ancova.df}) = {results.ancova.f:.2f}" in document
    assert f"Hedges' g = {results.gain_test.hedges_g:.2f}" in document
    detail = results.ancova_detail
    assert detail is not None
    assert f"95 % CI [{detail.ci_low:.3f}, {detail.ci_high:.3f}]" in document
    assert f"Robust (HC3) standard error {detail.hc3_standard_error:.3f}" in document
    assert "Homogeneity of slopes" in document
    assert "<h2>In plain words</h2>" in document and results.plain_summary
    assert "<h2>Questionnaire</h2>" in document and len(results.questionnaire) == 2
    # The methods state the design's numbers: time limits, the seed, the forms, who was analysed.
    methods = document.split("<h2>Methods</h2>")[1].split("<h2>")[0]
    assert "studied for 1 minute," in methods
    assert f"generated from the study&#x27;s seed ({study['assignment_seed']})" in methods
    assert f"form A ({ITEMS_PER_FORM} items) and form B ({ITEMS_PER_FORM} items)" in methods
    assert "the 6 assigned students who finished both tests (complete cases) of 6" in methods
    # Everyone randomised took the post-test: the intention-to-treat population is the same.
    assert "an intention-to-treat analysis takes every randomised student" in methods
    assert "both populations are the same" in methods
    for sentence in results.plain_summary:
        assert html.escape(sentence) in document
    for row in results.reliability:
        assert row.kr20 is not None and f"{row.kr20:.2f}" in document


def test_a_build_runs_once_and_yields_to_a_newer_request(
    client: TestClient, database_url: str, clock: FakeClock
) -> None:
    admin = instructor_client(client, database_url)
    study = run_closed_study(client, admin, clock, plan=PLAN[:4])
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            session.add(
                StudyReport(
                    study_id=study["id"],
                    build_id="first",
                    status="queued",
                    step="queued",
                    requested_at=clock(),
                )
            )
            session.commit()
        assert run_report_build(factory, study["id"], "stale") == "superseded"

        def broken(percent: int, step: str) -> None:
            if percent >= 60:
                raise RuntimeError("the result backend went away")

        with pytest.raises(RuntimeError):
            run_report_build(factory, study["id"], "first", broken, clock)
        with factory() as session:
            row = session.get(StudyReport, study["id"])
            assert row is not None and row.status == "failed" and row.percent == 60
            assert row.error is not None and "RuntimeError" in row.error and "first" in row.error
            assert "the result backend went away" not in row.error  # no raw exception text
        # A retry of the same build starts again and finishes.
        seen: list[int] = []
        assert run_report_build(factory, study["id"], "first", lambda p, s: seen.append(p)) == (
            "done"
        )
        assert seen[-1] == 100
        with factory() as session:
            row = session.get(StudyReport, study["id"])
            assert row is not None and row.status == "done" and row.error is None
            finished, document = row.finished_at, row.html
        assert document is not None and document.startswith("<!doctype html>")
        # Delivered again (acks_late after a lost worker): nothing is rebuilt.
        clock.advance(30)
        assert run_report_build(factory, study["id"], "first", clock=clock) == "done"
        with factory() as session:
            row = session.get(StudyReport, study["id"])
            assert row is not None and row.finished_at == finished
    finally:
        engine.dispose()


def test_instructor_starts_follows_and_fetches_the_report(
    client: TestClient, database_url: str, clock: FakeClock
) -> None:
    queue = RecordingQueue()
    client.app.state.report_queue = queue  # type: ignore[attr-defined]
    admin = instructor_client(client, database_url)
    study = run_closed_study(client, admin, clock, plan=PLAN[:4])
    base = f"/api/instructor/studies/{study['id']}"
    assert admin.get(f"{base}/report").json() is None  # none asked for yet

    started = admin.post(f"{base}/report/build")
    assert started.status_code == 202, started.text
    body = started.json()
    assert (body["status"], body["percent"], body["html_url"]) == ("queued", 0, None)
    assert queue.sent == [(study["id"], body["build_id"])]
    # Pressing again while queued returns the same build and sends nothing new.
    assert admin.post(f"{base}/report/build").json()["build_id"] == body["build_id"]
    assert len(queue.sent) == 1
    waiting = admin.get(f"{base}/report.html")
    assert waiting.status_code == 409 and waiting.json()["error"]["code"] == "report_not_ready"

    engine = make_engine(database_url)
    try:
        assert run_report_build(make_session_factory(engine), *queue.sent[0]) == "done"
    finally:
        engine.dispose()
    status = admin.get(f"{base}/report").json()
    assert (status["status"], status["percent"], status["step"]) == ("done", 100, "done")
    assert status["html_url"] == f"{base}/report.html"
    page = admin.get(status["html_url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.text.count("<svg") == 4  # the flow diagram and three plots

    # The broker down: 503, and the finished report is still there, unchanged.
    queue.down = True
    refused = admin.post(f"{base}/report/build")
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "queue_unavailable"
    assert admin.get(f"{base}/report").json() == status
    assert admin.get(status["html_url"]).text == page.text
    # A rebuild is a new build.
    queue.down = False
    again = admin.post(f"{base}/report/build").json()
    assert again["status"] == "queued" and again["build_id"] != body["build_id"]
    # A build lost on the way (no worker ever took it) is given up after ten minutes.
    clock.advance(9 * 60)
    assert admin.post(f"{base}/report/build").json()["build_id"] == again["build_id"]
    clock.advance(2 * 60)
    replaced = admin.post(f"{base}/report/build").json()
    assert replaced["status"] == "queued" and replaced["build_id"] != again["build_id"]
    assert len(queue.sent) == 3


def test_report_refuses_everyone_but_its_instructor(
    client: TestClient, database_url: str, clock: FakeClock
) -> None:
    client.app.state.report_queue = RecordingQueue()  # type: ignore[attr-defined]
    admin = instructor_client(client, database_url)
    study = run_closed_study(client, admin, clock, plan=PLAN[:2])
    base = f"/api/instructor/studies/{study['id']}"
    other = instructor_client(client, database_url)
    open_study = admin.post(
        "/api/instructor/studies", json={"title": "still open", "consent_text": "ok"}
    ).json()
    admin.post(f"/api/instructor/studies/{open_study['id']}/open")
    student = join(client, open_study["join_code"])
    anonymous = TestClient(client.app)
    for method, path in (("POST", "/report/build"), ("GET", "/report"), ("GET", "/report.html")):
        assert anonymous.request(method, base + path).status_code == 401
        assert client.request(method, base + path, headers=student).status_code == 401
        assert other.request(method, base + path).status_code == 404
    refused = admin.post(f"/api/instructor/studies/{open_study['id']}/report/build")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "study_not_closed"
    assert admin.get(f"/api/instructor/studies/{open_study['id']}/plots").status_code == 409
    # Nothing was started: null, not an error (the results page asks this first).
    nothing = admin.get(f"{base}/report")
    assert nothing.status_code == 200 and nothing.json() is None


def test_plot_data_after_closing(client: TestClient, database_url: str, clock: FakeClock) -> None:
    admin = instructor_client(client, database_url)
    study = run_closed_study(client, admin, clock, plan=PLAN[:6])
    plots = admin.get(f"/api/instructor/studies/{study['id']}/plots").json()
    students = plots["students"]
    scores = sorted(
        (round(s["pre"] * ITEMS_PER_FORM), round(s["post"] * ITEMS_PER_FORM)) for s in students
    )
    assert scores == sorted(PLAN[:6])
    for student in students:
        assert student["gain"] == pytest.approx(student["post"] - student["pre"])
        assert student["participant"].startswith("P-")
    histogram = plots["gain_histogram"]
    assert len(histogram["edges"]) == 11
    for condition, counts in histogram["counts"].items():
        assert sum(counts) == sum(1 for s in students if s["condition"] == condition)
    assert [row["n"] for row in plots["conditions"]] == [3, 3]  # the seed's draw
    assert len(plots["items"]) == ITEMS_PER_FORM * len(plots["reliability"])


def test_report_text_helpers_escape_and_count() -> None:
    """'p < .001' was written with a bare '<'; '13 items' was hard-coded; a KR-20 of -1.75
    was shown without comment."""
    from evaluation.analysis import Results
    from evaluation.analysis_items import FormReliability, ItemStatistic
    from evaluation.report import _form_sizes, _p, _reliability_note

    assert _p(0.0001) == "&lt; .001" and _p(0.0412) == ".041"
    items = [
        ItemStatistic(
            item_key=f"{form}{n:02d}",
            form=form,
            phase=phase,
            concept="c",
            n=9,
            difficulty=0.5,
            discrimination=None,
        )
        for form, count in (("A", 14), ("B", 13))
        for n in range(count)
        for phase in ("pre", "post")
    ]
    results = Results(
        conditions=[],
        ancova=None,
        gain_test=None,
        gain_rank_test=None,
        concepts=[],
        items=items,
        reliability=[
            FormReliability(form="A", phase="pre", n=9, kr20=-1.75),
            FormReliability(form="B", phase="post", n=9, kr20=0.81),
        ],
    )
    assert _form_sizes(results) == "form A: 14 items, form B: 13 items"
    note = _reliability_note(results)
    assert "form A pre-test (-1.75)" in note and "form B" not in note
    good = results.model_copy(update={"reliability": results.reliability[1:]})
    assert _reliability_note(good) == ""

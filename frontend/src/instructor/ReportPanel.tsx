/** The printable HTML report: built by the worker on request; progress polled until done. */
import { useCallback, useEffect, useState } from "react";
import { ApiError, messageOf } from "../study/http";
import type { InstructorApi, ReportStatus, Study } from "./api";

const POLL_MS = 2000;

export function ReportPanel({ api, study }: { api: InstructorApi; study: Study }) {
  const [report, setReport] = useState<ReportStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setReport(await api.report(study.id));
    } catch (caught) {
      // 404 no_report: none built yet, the button is all there is.
      if (!(caught instanceof ApiError && caught.status === 404)) setError(messageOf(caught));
    }
  }, [api, study.id]);

  useEffect(() => void load(), [load]);

  const running = report?.status === "queued" || report?.status === "running";
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => void load(), POLL_MS);
    return () => window.clearInterval(timer);
  }, [running, load]);

  const build = async () => {
    try {
      setError(null);
      setReport(await api.buildReport(study.id));
    } catch (caught) {
      setError(messageOf(caught));
    }
  };

  return (
    <section className="report-panel" aria-labelledby="report-title" data-testid="report">
      <h4 id="report-title">HTML report</h4>
      <p className="hint">One printable file with the tables and plots above, built by the worker.</p>
      <div className="button-row">
        <button type="button" onClick={() => void build()} disabled={running}>
          {report?.status === "done" ? "Build it again" : "Build the HTML report"}
        </button>
        {report?.status === "done" && report.html_url && (
          <a href={report.html_url} target="_blank" rel="noopener">Open the report</a>
        )}
      </div>
      {running && (
        <p role="status">
          <progress max={100} value={report.percent} aria-label="Report build progress" /> {report.percent}% — {report.step}
        </p>
      )}
      {report?.status === "failed" && <p className="status status-error" role="alert">The build failed: {report.error ?? "unknown error"}</p>}
      {error && <p className="status status-error" role="alert">{error}</p>}
    </section>
  );
}

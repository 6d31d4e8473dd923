/** The printable HTML report: built by the worker on request; progress polled until done. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { messageOf } from "../api/errors";
import {
  instructorKeys,
  type InstructorApi,
  type ReportStatus,
  type Study,
} from "../api/instructor";

const POLL_MS = 2000;

const isRunning = (report: ReportStatus | null | undefined) =>
  report?.status === "queued" || report?.status === "running";

export function ReportPanel({ api, study }: { api: InstructorApi; study: Study }) {
  const queryClient = useQueryClient();
  const key = instructorKeys.report(study.id);
  // Polled while the worker builds it.
  const query = useQuery({
    queryKey: key,
    // null: none built yet, the button is all there is.
    queryFn: (): Promise<ReportStatus | null> => api.report(study.id),
    refetchInterval: (current) => (isRunning(current.state.data) ? POLL_MS : false),
  });
  const building = useMutation({
    mutationFn: () => api.buildReport(study.id),
    onSuccess: (status) => queryClient.setQueryData(key, status),
  });
  const report = query.data ?? null;
  const running = report?.status === "queued" || report?.status === "running";
  const failure = building.error ?? query.error;
  const error = failure ? messageOf(failure) : null;
  const build = () => building.mutate();

  return (
    <section className="report-panel" aria-labelledby="report-title" data-testid="report">
      <h4 id="report-title">HTML report</h4>
      <p className="hint">
        One printable file with the tables and plots above, built by the worker.
      </p>
      <div className="button-row">
        <button type="button" onClick={build} disabled={running}>
          {report?.status === "done" ? "Build it again" : "Build the HTML report"}
        </button>
        {report?.status === "done" && report.html_url && (
          <a href={report.html_url} target="_blank" rel="noopener">
            Open the report
          </a>
        )}
      </div>
      {running && (
        <p role="status">
          <progress max={100} value={report.percent} aria-label="Report build progress" />{" "}
          {report.percent}% — {report.step}
        </p>
      )}
      {report?.status === "failed" && (
        <p className="status status-error" role="alert">
          The build failed: {report.error ?? "unknown error"}
        </p>
      )}
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

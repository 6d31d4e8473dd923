/** Students per step and condition, polled while the study runs; outcomes stay hidden. */
import { useQuery } from "@tanstack/react-query";
import { messageOf } from "../api/errors";
import { instructorKeys, type InstructorApi, type Study } from "../api/instructor";
import { STEP_ORDER } from "./plotData";

const POLL_MS = 4000;
const STEP_NAMES: Record<string, string> = {
  consent: "consent",
  pre_test: "pre-test",
  assignment: "assignment",
  learning: "learning",
  post_test: "post-test",
  questionnaire: "questionnaire",
  done: "done",
  free_use: "material only (no data)",
  declined: "declined",
};

export function ProgressView({ api, study }: { api: InstructorApi; study: Study }) {
  const query = useQuery({
    queryKey: instructorKeys.progress(study.id),
    queryFn: () => api.progress(study.id),
    refetchInterval: study.status === "open" ? POLL_MS : false,
  });
  const progress = query.data ?? null;
  // The last answer stays on screen under the error of a poll that failed.
  const error = query.error ? messageOf(query.error) : null;
  const updated = query.dataUpdatedAt > 0 ? new Date(query.dataUpdatedAt) : null;

  if (progress === null)
    return error ? (
      <p className="status status-error" role="alert">
        {error}
      </p>
    ) : (
      <p role="status">Loading progress…</p>
    );
  const groups = ["unassigned", ...study.conditions].filter(
    (group) => group !== "unassigned" || group in progress.counts,
  );
  const steps = STEP_ORDER.filter(
    (step) =>
      groups.some((group) => (progress.counts[group]?.[step] ?? 0) > 0) ||
      !["free_use", "declined"].includes(step),
  );
  const total = (group: string) =>
    Object.values(progress.counts[group] ?? {}).reduce((a, b) => a + b, 0);
  return (
    <section className="progress" aria-labelledby="progress-title" data-testid="progress">
      <h3 id="progress-title">
        Progress{" "}
        {study.status === "open" && (
          <span className="hint">
            (live{updated ? `, updated ${updated.toLocaleTimeString()}` : ""})
          </span>
        )}
      </h3>
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
      <table className="data-table">
        <thead>
          <tr>
            <th scope="col">step</th>
            {groups.map((group) => (
              <th key={group} scope="col">
                {group}
              </th>
            ))}
            <th scope="col">all</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((step) => {
            const counts = groups.map((group) => progress.counts[group]?.[step] ?? 0);
            return (
              <tr key={step} data-step={step}>
                <th scope="row">{STEP_NAMES[step] ?? step}</th>
                {counts.map((count, index) => (
                  <td key={groups[index]}>{count}</td>
                ))}
                <td data-testid={`count-${step}`}>{counts.reduce((a, b) => a + b, 0)}</td>
              </tr>
            );
          })}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">students</th>
            {groups.map((group) => (
              <td key={group}>{total(group)}</td>
            ))}
            <td>{groups.reduce((sum, group) => sum + total(group), 0)}</td>
          </tr>
        </tfoot>
      </table>
      <h4>Who may be stuck</h4>
      {progress.stuck.length === 0 ? (
        <p className="hint">Nobody: every student did something recently.</p>
      ) : (
        <ul className="stuck" data-testid="stuck">
          {progress.stuck.map((student) => (
            <li key={student.participant}>
              <strong>{student.participant}</strong> at {STEP_NAMES[student.step] ?? student.step}
              {student.condition ? ` (${student.condition})` : ""}, idle{" "}
              {Math.round(student.idle_seconds / 60)} min
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

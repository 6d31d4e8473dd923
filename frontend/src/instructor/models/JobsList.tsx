/** Training and import jobs, newest first: status read out as it changes, curves, Cancel, the error on failure. */
import { isActive, type Job } from "../../api/studio";
import { progressText } from "./jobProgress";
import { TrainingCurves } from "./TrainingCurves";

interface Props {
  jobs: Job[];
  cancelling: string[];
  onCancel: (jobId: string) => void;
}

export function JobsList({ jobs, cancelling, onCancel }: Props) {
  return (
    <section aria-labelledby="jobs-title" className="jobs-list">
      <h2 id="jobs-title">Jobs</h2>
      {jobs.length === 0 && <p className="hint">No training or import yet.</p>}
      <ul>
        {jobs.map((job) => (
          <li key={job.job_id}>
            <JobItem
              job={job}
              cancelling={cancelling.includes(job.job_id)}
              onCancel={() => onCancel(job.job_id)}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}

function describeConfig(job: Job): string {
  if (job.kind === "import") return "import";
  const c = job.config;
  const dataset = c.dataset === "builtin" ? "built-in classes" : "own images";
  return `${String(c.blocks)} block(s) × ${String(c.convs_per_block)} conv, ${String(c.filters)} filters ${String(c.kernel_size)}×${String(c.kernel_size)}, ${String(c.input_size)} px, ${String(c.epochs)} epochs, ${dataset}`;
}

function JobItem({
  job,
  cancelling,
  onCancel,
}: {
  job: Job;
  cancelling: boolean;
  onCancel: () => void;
}) {
  const active = isActive(job);
  const { epoch, epochs } = job.progress;
  return (
    <article
      className={`job job-${job.status}`}
      data-testid="job"
      data-job={job.job_id}
      data-status={job.status}
      aria-labelledby={`job-${job.job_id}`}
    >
      <header className="model-entry-head">
        <h3 id={`job-${job.job_id}`}>
          {job.kind === "train" ? "Training" : "Import"}: {job.name}
        </h3>
        <span className={`badge badge-job-${job.status}`}>{job.status}</span>
        <span className="hint">{describeConfig(job)}</span>
      </header>
      {/* Polite: an epoch a few seconds apart is read out without interrupting. */}
      <p
        aria-live="polite"
        aria-atomic="true"
        data-testid="job-progress"
        role={job.status === "failed" ? "alert" : undefined}
        className={job.status === "failed" ? "status status-error" : undefined}
      >
        {job.kind === "train" && job.status === "running" && epochs > 0 && (
          <progress max={epochs} value={epoch} aria-label={`Training ${job.name}`} />
        )}{" "}
        {progressText(job)}
        {cancelling && active && " — cancelling…"}
      </p>
      {job.kind === "train" && <TrainingCurves history={job.progress.history} epochs={epochs} />}
      {active && (
        <button type="button" onClick={onCancel} disabled={cancelling}>
          Cancel {job.kind === "train" ? "training" : "import"}
        </button>
      )}
      {job.status === "succeeded" && job.result && (
        <p>
          <a
            href={`/?model=${encodeURIComponent(job.result.name)}&version=${job.result.version}`}
            target="_blank"
            rel="noopener"
          >
            Open version {job.result.version} in the explorer
          </a>
        </p>
      )}
    </article>
  );
}

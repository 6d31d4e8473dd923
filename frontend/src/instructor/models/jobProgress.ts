/**
 * The jobs list as a reducer: the list request and the 1 s polls of running jobs answer
 * out of order, so an answer never takes a job back (fewer epochs, or running again after
 * it finished), and the list stays newest first.
 */
import { isActive, type EpochRecord, type Job, type JobStatus } from "../../api/studio";

export interface JobsState {
  jobs: Job[];
  /** Jobs whose Cancel was pressed and not yet answered by a final status. */
  cancelling: string[];
}

export type JobsAction =
  | { type: "listed"; jobs: Job[] }
  | { type: "updated"; job: Job }
  | { type: "cancel-requested"; jobId: string }
  | { type: "cancel-failed"; jobId: string };

export const initialJobs: JobsState = { jobs: [], cancelling: [] };

const FINAL: readonly JobStatus[] = ["succeeded", "failed", "cancelled"];

/** Whether `next` may replace `known`: it must not be a step back. */
export function isNewer(known: Job, next: Job): boolean {
  const knownFinal = FINAL.includes(known.status);
  const nextFinal = FINAL.includes(next.status);
  if (knownFinal && !nextFinal) return false;
  if (knownFinal && nextFinal) return true;
  if (nextFinal) return true;
  if (known.status === "running" && next.status === "queued") return false;
  return (
    next.progress.history.length >= known.progress.history.length &&
    next.progress.epoch >= known.progress.epoch
  );
}

function merge(jobs: readonly Job[], incoming: readonly Job[]): Job[] {
  const byId = new Map(jobs.map((job) => [job.job_id, job]));
  for (const job of incoming) {
    const known = byId.get(job.job_id);
    if (!known || isNewer(known, job)) byId.set(job.job_id, job);
  }
  return [...byId.values()].sort((a, b) =>
    a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0,
  );
}

export function jobsReducer(state: JobsState, action: JobsAction): JobsState {
  switch (action.type) {
    case "listed": {
      const jobs = merge(state.jobs, action.jobs);
      return {
        jobs,
        cancelling: state.cancelling.filter((id) =>
          jobs.some((job) => job.job_id === id && isActive(job)),
        ),
      };
    }
    case "updated": {
      const jobs = merge(state.jobs, [action.job]);
      const still = jobs.find((job) => job.job_id === action.job.job_id);
      return {
        jobs,
        cancelling:
          still && !isActive(still)
            ? state.cancelling.filter((id) => id !== action.job.job_id)
            : state.cancelling,
      };
    }
    case "cancel-requested":
      return state.cancelling.includes(action.jobId)
        ? state
        : { ...state, cancelling: [...state.cancelling, action.jobId] };
    case "cancel-failed":
      return { ...state, cancelling: state.cancelling.filter((id) => id !== action.jobId) };
  }
}

/** The ids to poll: every job still queued or running. */
export function activeJobIds(state: JobsState): string[] {
  return state.jobs.filter(isActive).map((job) => job.job_id);
}

/** "Epoch 2 of 5" and friends, for the job's status line (read out by aria-live). */
export function progressText(job: Job): string {
  const { epoch, epochs } = job.progress;
  switch (job.status) {
    case "queued":
      return "Waiting for the model worker…";
    case "running":
      if (job.kind === "import") return "Importing…";
      return epochs > 0 ? `Epoch ${epoch} of ${epochs}` : "Starting…";
    case "succeeded":
      return job.result
        ? `Done: ${job.result.name} version ${job.result.version}${job.result.accuracy === null ? "" : `, ${percent(job.result.accuracy)} on its test images`}`
        : "Done";
    case "cancelled":
      return epochs > 0 && job.kind === "train"
        ? `Cancelled after epoch ${epoch} of ${epochs}; no version was made.`
        : "Cancelled; no version was made.";
    case "failed":
      return `Failed: ${job.error ?? "no reason was given"}`;
  }
}

export function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

export interface CurvePoint {
  epoch: number;
  value: number;
}

/** The two series of a plot (training and validation) without the values the worker could not give. */
export function curves(
  history: readonly EpochRecord[],
  metric: "loss" | "accuracy",
): { train: CurvePoint[]; validation: CurvePoint[] } {
  const pick = (key: keyof EpochRecord) =>
    history
      .filter((record) => Number.isFinite(record[key]))
      .map((record) => ({ epoch: record.epoch, value: record[key] }));
  return metric === "loss"
    ? { train: pick("loss"), validation: pick("val_loss") }
    : { train: pick("accuracy"), validation: pick("val_accuracy") };
}

import { describe, expect, it } from "vitest";
import type { Job } from "../../api/studio";
import { decodeJob } from "../../api/studioDecode";
import { activeJobIds, curves, initialJobs, jobsReducer, progressText } from "./jobProgress";

function job(id: string, overrides: Partial<Job> & { epoch?: number } = {}): Job {
  const epoch = overrides.epoch ?? 0;
  const history = Array.from({ length: epoch }, (_, i) => ({
    epoch: i + 1,
    loss: 1 / (i + 1),
    accuracy: 0.3 + i / 10,
    val_loss: 1.2 / (i + 1),
    val_accuracy: 0.25 + i / 10,
  }));
  return decodeJob({
    job_id: id,
    kind: "train",
    name: "shapes",
    status: "running",
    config: { epochs: 3 },
    progress: { epoch, epochs: 3, history },
    error: null,
    result: null,
    created_at: `2026-11-26T03:0${id}:00Z`,
    finished_at: null,
    ...overrides,
  });
}

describe("jobsReducer", () => {
  it("lists newest first and polls only the jobs still queued or running", () => {
    const state = jobsReducer(initialJobs, {
      type: "listed",
      jobs: [job("1", { status: "succeeded" }), job("3", { status: "queued" }), job("2")],
    });
    expect(state.jobs.map((j) => j.job_id)).toEqual(["3", "2", "1"]);
    expect(activeJobIds(state)).toEqual(["3", "2"]);
  });

  it("never takes a job back: fewer epochs, or running again after it finished", () => {
    let state = jobsReducer(initialJobs, { type: "updated", job: job("1", { epoch: 2 }) });
    state = jobsReducer(state, { type: "updated", job: job("1", { epoch: 1 }) });
    expect(state.jobs[0]?.progress.epoch).toBe(2);
    state = jobsReducer(state, {
      type: "updated",
      job: job("1", { epoch: 3, status: "succeeded" }),
    });
    state = jobsReducer(state, { type: "listed", jobs: [job("1", { epoch: 3 })] });
    expect(state.jobs[0]?.status).toBe("succeeded");
    expect(activeJobIds(state)).toEqual([]);
  });

  it("keeps a cancel pending until the job is final, and drops it when the request failed", () => {
    let state = jobsReducer(initialJobs, {
      type: "listed",
      jobs: [job("1", { epoch: 1 }), job("2", { epoch: 1 })],
    });
    state = jobsReducer(state, { type: "cancel-requested", jobId: "1" });
    state = jobsReducer(state, { type: "cancel-requested", jobId: "2" });
    state = jobsReducer(state, { type: "updated", job: job("1", { epoch: 2 }) });
    expect(state.cancelling).toEqual(["1", "2"]);
    state = jobsReducer(state, {
      type: "updated",
      job: job("1", { epoch: 2, status: "cancelled" }),
    });
    state = jobsReducer(state, { type: "cancel-failed", jobId: "2" });
    expect(state.cancelling).toEqual([]);
  });
});

describe("progressText and curves", () => {
  it("says where a job is", () => {
    expect(progressText(job("1", { status: "queued" }))).toBe("Waiting for the model worker…");
    expect(progressText(job("1", { epoch: 2 }))).toBe("Epoch 2 of 3");
    expect(progressText(job("1", { epoch: 1, status: "cancelled" }))).toBe(
      "Cancelled after epoch 1 of 3; no version was made.",
    );
    expect(progressText(job("1", { status: "failed", error: "The data set was deleted." }))).toBe(
      "Failed: The data set was deleted.",
    );
    expect(
      progressText(
        job("1", { status: "succeeded", result: { name: "shapes", version: 2, accuracy: 0.8125 } }),
      ),
    ).toBe("Done: shapes version 2, 81.3% on its test images");
  });

  it("splits the history into training and validation series, skipping missing values", () => {
    const history = job("1", { epoch: 2 }).progress.history;
    expect(curves(history, "accuracy")).toEqual({
      train: [
        { epoch: 1, value: 0.3 },
        { epoch: 2, value: 0.4 },
      ],
      validation: [
        { epoch: 1, value: 0.25 },
        { epoch: 2, value: 0.35 },
      ],
    });
    const partial = decodeJob({ job_id: "x", progress: { history: [{ epoch: 1, loss: 0.5 }] } })
      .progress.history;
    expect(curves(partial, "loss")).toEqual({ train: [{ epoch: 1, value: 0.5 }], validation: [] });
  });
});

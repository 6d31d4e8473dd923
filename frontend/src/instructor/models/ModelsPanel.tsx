/**
 * The dashboard's "Models" tab: the models students may choose, training a variant,
 * importing a model, and the jobs doing it (each polled every second while it runs).
 */
import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, messageOf } from "../../api/errors";
import { createHttp } from "../../api/http";
import {
  createStudioApi,
  studioKeys,
  type Job,
  type ModelCatalogue,
  type ModelEntry,
} from "../../api/studio";
import {
  activeJobIds,
  initialJobs,
  jobsReducer,
  type JobsAction,
  type JobsState,
} from "./jobProgress";
import { ImportForm } from "./ImportForm";
import { JobsList } from "./JobsList";
import { ModelList } from "./ModelList";
import { TrainForm } from "./TrainForm";

const POLL_MS = 1000;

export function ModelsPanel({ onUnauthorised }: { onUnauthorised: () => void }) {
  const api = useMemo(() => createStudioApi(createHttp({ maxAttempts: 3 })), []);
  const queryClient = useQueryClient();
  const [actionError, setActionError] = useState<string | null>(null);
  const [form, setForm] = useState<"train" | "import">("train");

  // The jobs live in the cache as the reducer's state: the list, each job's polls and the
  // answers to Train, Import and Cancel arrive out of order, and none may take a job back.
  const dispatch = useCallback(
    (action: JobsAction) =>
      queryClient.setQueryData<JobsState>(studioKeys.jobs, (state) =>
        jobsReducer(state ?? initialJobs, action),
      ),
    [queryClient],
  );
  const catalogue = useQuery({ queryKey: studioKeys.models, queryFn: api.models });
  const jobs = useQuery({
    queryKey: studioKeys.jobs,
    queryFn: async () => {
      const listed = await api.jobs();
      return jobsReducer(queryClient.getQueryData<JobsState>(studioKeys.jobs) ?? initialJobs, {
        type: "listed",
        jobs: listed,
      });
    },
    staleTime: Infinity,
  });
  const state = jobs.data ?? initialJobs;

  // Each running job is polled; when one finishes with a new version, the model list is read again.
  const polls = useQueries({
    queries: activeJobIds(state).map((id) => ({
      queryKey: studioKeys.job(id),
      queryFn: async () => {
        const job = await api.job(id);
        dispatch({ type: "updated", job });
        if (job.status === "succeeded")
          void queryClient.invalidateQueries({ queryKey: studioKeys.models });
        return job;
      },
      refetchInterval: POLL_MS,
    })),
  });

  const failure = catalogue.error ?? jobs.error ?? polls.find((poll) => poll.error)?.error ?? null;
  // The parent's callback may be a new function each render; the effect must not rerun for it.
  const unauthorised = useRef(onUnauthorised);
  useEffect(() => {
    unauthorised.current = onUnauthorised;
  }, [onUnauthorised]);
  const signedOut = failure instanceof ApiError && failure.status === 401;
  useEffect(() => {
    if (signedOut) unauthorised.current();
  }, [signedOut]);
  const error = actionError ?? (failure && !signedOut ? messageOf(failure) : null);

  const started = (job: Job) => dispatch({ type: "updated", job });
  const cancel = (jobId: string) => {
    dispatch({ type: "cancel-requested", jobId });
    api.cancel(jobId).then(
      (job) => dispatch({ type: "updated", job }),
      (caught: unknown) => {
        dispatch({ type: "cancel-failed", jobId });
        if (caught instanceof ApiError && caught.status === 401) unauthorised.current();
        else setActionError(messageOf(caught));
      },
    );
  };
  const changed = (entry: ModelEntry) =>
    queryClient.setQueryData<ModelCatalogue>(
      studioKeys.models,
      (now) =>
        now && {
          ...now,
          models: now.models.map((model) => (model.name === entry.name ? entry : model)),
        },
    );

  return (
    <div className="models-panel">
      {error && (
        <p className="status status-error" role="alert">
          {error}{" "}
          {actionError && (
            <button type="button" onClick={() => setActionError(null)}>
              Dismiss
            </button>
          )}
        </p>
      )}
      <div className="instructor-columns">
        <ModelList api={api} catalogue={catalogue.data ?? null} onChanged={changed} />
        <div className="models-side">
          <JobsList jobs={state.jobs} cancelling={state.cancelling} onCancel={cancel} />
          <div className="instructor-nav" role="group" aria-label="New model">
            <button type="button" aria-pressed={form === "train"} onClick={() => setForm("train")}>
              Train a variant
            </button>
            <button
              type="button"
              aria-pressed={form === "import"}
              onClick={() => setForm("import")}
            >
              Import a model
            </button>
          </div>
          {form === "train" ? (
            <TrainForm api={api} onStarted={started} />
          ) : (
            <ImportForm api={api} onStarted={started} />
          )}
        </div>
      </div>
    </div>
  );
}

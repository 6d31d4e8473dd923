/**
 * The dashboard's "Models" tab: the models students may choose, training a variant,
 * importing a model, and the jobs doing it (polled every second while one runs).
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { ApiError, messageOf } from "../../study/http";
import { createModelsApi, type Job, type ModelCatalogue, type ModelEntry } from "../modelsApi";
import { activeJobIds, initialJobs, jobsReducer } from "./jobProgress";
import { ImportForm } from "./ImportForm";
import { JobsList } from "./JobsList";
import { ModelList } from "./ModelList";
import { TrainForm } from "./TrainForm";

const POLL_MS = 1000;

export function ModelsPanel({ onUnauthorised }: { onUnauthorised: () => void }) {
  const api = useMemo(() => createModelsApi(), []);
  const [catalogue, setCatalogue] = useState<ModelCatalogue | null>(null);
  const [jobs, dispatch] = useReducer(jobsReducer, initialJobs);
  const [error, setError] = useState<string | null>(null);
  const [form, setForm] = useState<"train" | "import">("train");

  // The parent's callback may be a new function each render; the requests must not restart for it.
  const unauthorised = useRef(onUnauthorised);
  useEffect(() => { unauthorised.current = onUnauthorised; }, [onUnauthorised]);
  const fail = useCallback((caught: unknown) => {
    if (caught instanceof ApiError && caught.status === 401) unauthorised.current();
    else setError(messageOf(caught));
  }, []);

  const loadModels = useCallback(async () => {
    try {
      setCatalogue(await api.models());
    } catch (caught) {
      fail(caught);
    }
  }, [api, fail]);

  useEffect(() => {
    void loadModels();
    api.jobs().then((list) => dispatch({ type: "listed", jobs: list }), fail);
  }, [api, loadModels, fail]);

  // Poll each running job; when one finishes with a new version, the model list is read again.
  const active = activeJobIds(jobs).join(",");
  const finished = useRef(new Set<string>());
  useEffect(() => {
    if (active === "") return;
    const ids = active.split(",");
    let inFlight = false;
    const timer = window.setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      Promise.all(ids.map((id) => api.job(id).then((job) => {
        dispatch({ type: "updated", job });
        if (job.status === "succeeded" && !finished.current.has(id)) {
          finished.current.add(id);
          void loadModels();
        }
      }))).catch(fail).finally(() => { inFlight = false; });
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [active, api, loadModels, fail]);

  const started = (job: Job) => dispatch({ type: "updated", job });
  const cancel = (jobId: string) => {
    dispatch({ type: "cancel-requested", jobId });
    api.cancel(jobId).then((job) => dispatch({ type: "updated", job }), (caught: unknown) => {
      dispatch({ type: "cancel-failed", jobId });
      fail(caught);
    });
  };
  const changed = (entry: ModelEntry) =>
    setCatalogue((now) => now && { ...now, models: now.models.map((model) => (model.name === entry.name ? entry : model)) });

  return (
    <div className="models-panel">
      {error && <p className="status status-error" role="alert">{error} <button type="button" onClick={() => setError(null)}>Dismiss</button></p>}
      <div className="instructor-columns">
        <ModelList api={api} catalogue={catalogue} onChanged={changed} />
        <div className="models-side">
          <JobsList jobs={jobs.jobs} cancelling={jobs.cancelling} onCancel={cancel} />
          <div className="instructor-nav" role="group" aria-label="New model">
            <button type="button" aria-pressed={form === "train"} onClick={() => setForm("train")}>Train a variant</button>
            <button type="button" aria-pressed={form === "import"} onClick={() => setForm("import")}>Import a model</button>
          </div>
          {form === "train" ? <TrainForm api={api} onStarted={started} /> : <ImportForm api={api} onStarted={started} />}
        </div>
      </div>
    </div>
  );
}

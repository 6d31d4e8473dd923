/**
 * Built-in classes or the instructor's own images: a zip checked here for type and size,
 * then by the studio in the background (the upload is answered at once; this follows the
 * data set until it is ready, or says why it is not usable).
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { messageOf } from "../../api/errors";
import { studioKeys, type Dataset, type StudioApi } from "../../api/studio";
import { datasetFileProblem } from "./fileChecks";

export const BUILTIN_CLASSES = 10;
const NONE: Dataset[] = [];
const FOLLOW_EVERY_MS = 1000;

interface Props {
  api: StudioApi;
  /** "builtin" or a dataset id. */
  value: string;
  onChange: (dataset: string, classes: number) => void;
}

export function DatasetChoice({ api, value, onChange }: Props) {
  const queryClient = useQueryClient();
  // Earlier uploads are a convenience: without the list, a new upload still works.
  const listed = useQuery({ queryKey: studioKeys.datasets, queryFn: api.datasets }).data ?? NONE;
  const datasets = listed.filter((dataset) => dataset.status === "ready");
  const [uploading, setUploading] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [uploaded, setUploaded] = useState<Dataset | null>(null);
  // The upload being checked, followed until the studio says ready or invalid.
  const followed = useQuery({
    queryKey: studioKeys.dataset(uploaded?.dataset_id ?? ""),
    queryFn: () => api.dataset(uploaded?.dataset_id ?? ""),
    enabled: uploaded?.status === "checking",
    refetchInterval: (query) =>
      query.state.data?.status === "ready" || query.state.data?.status === "invalid"
        ? false
        : FOLLOW_EVERY_MS,
  }).data;
  useEffect(() => {
    if (!followed || followed.status === "checking") return;
    setUploaded(followed);
    queryClient.setQueryData<Dataset[]>(studioKeys.datasets, (known = []) => [
      followed,
      ...known.filter((d) => d.dataset_id !== followed.dataset_id),
    ]);
    if (followed.status === "ready") onChange(followed.dataset_id, followed.classes.length);
    else setProblem(`${followed.filename} cannot be used: ${followed.error ?? "it is not valid"}`);
  }, [followed, onChange, queryClient]);
  const checking = uploaded?.status === "checking" ? uploaded.filename : null;

  const own = value !== "builtin";
  const chosen =
    datasets.find((dataset) => dataset.dataset_id === value) ??
    (uploaded?.dataset_id === value && uploaded.status === "ready" ? uploaded : undefined);

  const upload = async (file: File) => {
    setProblem(null);
    setUploaded(null);
    const local = datasetFileProblem(file);
    if (local) {
      setProblem(local);
      return;
    }
    setUploading(file.name);
    try {
      setUploaded(await api.uploadDataset(file));
      onChange("", 0); // nothing to train on until the check says ready
    } catch (caught) {
      setProblem(`${file.name} was not accepted: ${messageOf(caught)}`);
    } finally {
      setUploading(null);
    }
  };

  return (
    <fieldset className="dataset-choice">
      <legend>Images to train on</legend>
      <label>
        <input
          type="radio"
          name="dataset"
          checked={!own}
          onChange={() => onChange("builtin", BUILTIN_CLASSES)}
        />{" "}
        The built-in classes (Tiny ImageNet, {BUILTIN_CLASSES} classes)
      </label>
      <label>
        <input
          type="radio"
          name="dataset"
          checked={own}
          onChange={() => {
            const first = uploaded?.status === "ready" ? uploaded : datasets[0];
            if (first) onChange(first.dataset_id, first.classes.length);
            else onChange("", 0);
          }}
        />{" "}
        My own images (a .zip with one folder per class)
      </label>
      {own && (
        <div className="dataset-own">
          <label htmlFor="dataset-file">Upload a zip</label>{" "}
          <input
            id="dataset-file"
            type="file"
            accept=".zip,application/zip"
            aria-describedby="dataset-help dataset-problem"
            aria-invalid={problem ? true : undefined}
            disabled={uploading !== null || checking !== null}
            onChange={(event) => {
              const file = event.target.files?.[0];
              event.target.value = "";
              if (file) void upload(file);
            }}
          />
          <p id="dataset-help" className="hint">
            One folder per class, named after it (<code>cats/…</code>, <code>dogs/…</code>), JPEG,
            PNG, WebP or BMP pictures; at least 2 classes.
          </p>
          {uploading && <p role="status">Uploading {uploading}…</p>}
          {checking && (
            <p role="status" data-testid="dataset-checking">
              Checking {checking}: every picture is opened once; this takes a few seconds.
            </p>
          )}
          <p
            id="dataset-problem"
            className={problem ? "status status-error" : undefined}
            role="alert"
          >
            {problem}
          </p>
          {datasets.length > 0 && (
            <p>
              <label htmlFor="dataset-select">Data set</label>{" "}
              <select
                id="dataset-select"
                value={value}
                onChange={(event) => {
                  const next = datasets.find((d) => d.dataset_id === event.target.value);
                  if (next) onChange(next.dataset_id, next.classes.length);
                }}
              >
                {value === "" && <option value="">Choose…</option>}
                {datasets.map((dataset) => (
                  <option key={dataset.dataset_id} value={dataset.dataset_id}>
                    {dataset.classes.map((c) => c.name).join(", ")} ({dataset.images} images)
                  </option>
                ))}
              </select>
            </p>
          )}
          {chosen && <DatasetSummary dataset={chosen} />}
        </div>
      )}
    </fieldset>
  );
}

function DatasetSummary({ dataset }: { dataset: Dataset }) {
  return (
    <div data-testid="dataset-summary">
      <table className="data-table">
        <caption>
          {dataset.classes.length} classes, {dataset.images} images
        </caption>
        <thead>
          <tr>
            <th scope="col">class</th>
            <th scope="col">images</th>
          </tr>
        </thead>
        <tbody>
          {dataset.classes.map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td>
              <td>{c.images}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {dataset.warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings about the data set">
          {dataset.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

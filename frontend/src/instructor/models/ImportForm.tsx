/** "Import a model": one .keras/.h5, or a TensorFlow.js layers model (model.json + .bin shards), optional class names. */
import { useId, useState } from "react";
import { messageOf } from "../../api/errors";
import type { Job, StudioApi } from "../../api/studio";
import { importFilesProblem } from "./fileChecks";
import { NAME_PATTERN, NAME_RULE } from "./TrainForm";

export function ImportForm({ api, onStarted }: { api: StudioApi; onStarted: (job: Job) => void }) {
  const id = useId();
  const [name, setName] = useState("");
  const [title, setTitle] = useState("");
  const [classes, setClasses] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);

  const nameProblem = NAME_PATTERN.test(name)
    ? null
    : name === ""
      ? "Give the model a name."
      : `The name must be ${NAME_RULE}`;
  const filesProblem = importFilesProblem(files);
  const classCount = classes.split("\n").filter((line) => line.trim() !== "").length;

  const submit = async () => {
    setSubmitted(true);
    setServerError(null);
    if (nameProblem || filesProblem) return;
    setBusy(true);
    try {
      const job = await api.importModel({
        name,
        title: title.trim() || undefined,
        classes: classCount > 0 ? classes.trim() : undefined,
        files,
      });
      onStarted(job);
    } catch (caught) {
      setServerError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={`${id}-title`} className="import-form">
      <h2 id={`${id}-title`}>Import a model</h2>
      <p className="hint">
        A Keras model (<code>.keras</code> or <code>.h5</code>) or a TensorFlow.js layers model (
        <code>model.json</code> with its
        <code> .bin</code> weight files, chosen together). The explorer shows linear CNNs of
        convolution, ReLU, max-pooling, flatten and dense layers.
      </p>
      <form
        noValidate
        className="form-grid"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label htmlFor={`${id}-name`}>Name</label>
        <div>
          <input
            id={`${id}-name`}
            value={name}
            autoComplete="off"
            onChange={(event) => setName(event.target.value)}
            aria-invalid={submitted && nameProblem ? true : undefined}
            aria-describedby={`${id}-name-error`}
          />
          <span id={`${id}-name-error`} className="field-error">
            {submitted ? nameProblem : null}
          </span>
        </div>
        <label htmlFor={`${id}-title-field`}>Title (optional)</label>
        <input
          id={`${id}-title-field`}
          value={title}
          maxLength={80}
          onChange={(event) => setTitle(event.target.value)}
        />
        <label htmlFor={`${id}-files`}>Model files</label>
        <div>
          <input
            id={`${id}-files`}
            type="file"
            multiple
            accept=".keras,.h5,.json,.bin,.txt"
            aria-invalid={submitted && filesProblem ? true : undefined}
            aria-describedby={`${id}-files-error`}
            onChange={(event) => setFiles([...(event.target.files ?? [])])}
          />
          {files.length > 0 && <p className="hint">{files.map((file) => file.name).join(", ")}</p>}
          <span id={`${id}-files-error`} className="field-error">
            {submitted || files.length > 0 ? filesProblem : null}
          </span>
        </div>
        <label htmlFor={`${id}-classes`}>Class names (optional)</label>
        <div>
          <textarea
            id={`${id}-classes`}
            rows={4}
            value={classes}
            onChange={(event) => setClasses(event.target.value)}
            aria-describedby={`${id}-classes-help`}
          />
          <p id={`${id}-classes-help`} className="hint">
            One per line, in the order of the model's outputs
            {classCount > 0 ? ` (${classCount} given)` : ""}. Without them the classes are numbered.
          </p>
        </div>
        <span />
        <div className="button-row">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Uploading…" : "Import"}
          </button>
        </div>
      </form>
      <p className={serverError ? "status status-error" : undefined} role="alert">
        {serverError}
      </p>
    </section>
  );
}

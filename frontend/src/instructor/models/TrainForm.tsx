/** "Train a variant": the data, the architecture within the contract's limits, a live preview of its layers. */
import { Fragment, useId, useState } from "react";
import { messageOf } from "../../api/errors";
import type { Job, StudioApi, TrainConfig } from "../../api/studio";
import { BUILTIN_CLASSES, DatasetChoice } from "./DatasetChoice";
import { formatShape, LIMITS, previewLayers, rangeProblems, type Variant } from "./layerShapes";

export const NAME_PATTERN = /^[a-z][a-z0-9_]{1,39}$/;
export const NAME_RULE =
  "2 to 40 characters: lower-case letters, digits and _, starting with a letter.";

type NumberField = keyof Variant | "epochs";

const FIELDS: { key: Exclude<NumberField, "kernel_size">; label: string; help: string }[] = [
  {
    key: "blocks",
    label: "Conv blocks",
    help: "Each block: convolutions with ReLU, then 2×2 max pooling.",
  },
  { key: "convs_per_block", label: "Convolutions per block", help: "" },
  { key: "filters", label: "Filters per layer", help: "Feature maps each convolution makes." },
  {
    key: "input_size",
    label: "Input size (pixels)",
    help: "Pictures are cropped to a square and resized to this.",
  },
  { key: "epochs", label: "Epochs", help: "Passes over the training images; more take longer." },
];

export function TrainForm({ api, onStarted }: { api: StudioApi; onStarted: (job: Job) => void }) {
  const id = useId();
  const [name, setName] = useState("");
  const [title, setTitle] = useState("");
  const [dataset, setDataset] = useState("builtin");
  const [classes, setClasses] = useState(BUILTIN_CLASSES);
  const [values, setValues] = useState<Record<NumberField, string>>({
    blocks: "2",
    convs_per_block: "2",
    filters: "10",
    kernel_size: "3",
    input_size: "64",
    epochs: "10",
  });
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);

  const numbers = Object.fromEntries(
    Object.entries(values).map(([key, text]) => [
      key,
      text.trim() === "" ? Number.NaN : Number(text),
    ]),
  ) as Record<NumberField, number>;
  const problems: Partial<Record<NumberField | "name" | "dataset", string>> =
    rangeProblems(numbers);
  if (!NAME_PATTERN.test(name))
    problems.name = name === "" ? "Give the model a name." : `The name must be ${NAME_RULE}`;
  if (dataset === "")
    problems.dataset = "Upload a zip of your images, or choose the built-in classes.";
  const rangesOk =
    !problems.blocks &&
    !problems.convs_per_block &&
    !problems.filters &&
    !problems.kernel_size &&
    !problems.input_size;
  const preview = rangesOk ? previewLayers(numbers, Math.max(classes, 2)) : null;
  const blocked = Object.keys(problems).length > 0 || preview?.problem;

  const submit = async () => {
    setSubmitted(true);
    setServerError(null);
    if (blocked) return;
    const config: TrainConfig = {
      name,
      dataset,
      blocks: numbers.blocks,
      convs_per_block: numbers.convs_per_block,
      filters: numbers.filters,
      kernel_size: numbers.kernel_size === 5 ? 5 : 3,
      input_size: numbers.input_size,
      epochs: numbers.epochs,
    };
    if (title.trim()) config.title = title.trim();
    setBusy(true);
    try {
      onStarted(await api.train(config));
    } catch (caught) {
      setServerError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };

  // Errors show once the field was touched or the form submitted, next to the field.
  const shown = (field: NumberField | "name" | "dataset") =>
    submitted || field !== "name" ? problems[field] : undefined;
  const errorId = (field: string) => `${id}-${field}-error`;
  const fieldError = (field: NumberField | "name" | "dataset") => {
    const message = shown(field);
    return (
      <span id={errorId(field)} className="field-error">
        {message}
      </span>
    );
  };

  return (
    <section aria-labelledby={`${id}-title`} className="train-form">
      <h2 id={`${id}-title`}>Train a variant</h2>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div className="form-grid">
          <label htmlFor={`${id}-name`}>Name</label>
          <div>
            <input
              id={`${id}-name`}
              value={name}
              onChange={(event) => setName(event.target.value)}
              aria-invalid={shown("name") ? true : undefined}
              aria-describedby={`${id}-name-help ${errorId("name")}`}
              placeholder="my_shapes"
              autoComplete="off"
            />
            <p id={`${id}-name-help`} className="hint">
              {NAME_RULE} A name used before gets a new version.
            </p>
            {fieldError("name")}
          </div>
          <label htmlFor={`${id}-title-field`}>Title (optional)</label>
          <input
            id={`${id}-title-field`}
            value={title}
            maxLength={80}
            onChange={(event) => setTitle(event.target.value)}
            placeholder="Shapes, 3 blocks"
          />
        </div>
        <DatasetChoice
          api={api}
          value={dataset}
          onChange={(next, count) => {
            setDataset(next);
            setClasses(count);
          }}
        />
        {fieldError("dataset")}
        <fieldset className="form-grid architecture">
          <legend>Architecture</legend>
          {FIELDS.map(({ key, label, help }) => {
            const limit = LIMITS[key];
            // The kernel size is a choice of two, after the filters it shapes.
            const kernel = key === "input_size" && (
              <>
                <label htmlFor={`${id}-kernel_size`}>Kernel size</label>
                <div>
                  <select
                    id={`${id}-kernel_size`}
                    value={values.kernel_size}
                    onChange={(event) =>
                      setValues((now) => ({ ...now, kernel_size: event.target.value }))
                    }
                  >
                    {LIMITS.kernel_size.options.map((k) => (
                      <option key={k} value={k}>
                        {k} × {k}
                      </option>
                    ))}
                  </select>
                  <span className="hint">
                    {" "}
                    Each filter looks at a k × k window; a 5 × 5 one shrinks the map by 4 pixels, a
                    3 × 3 by 2.
                  </span>
                </div>
              </>
            );
            return (
              <Fragment key={key}>
                {kernel}
                <label htmlFor={`${id}-${key}`}>{label}</label>
                <div>
                  <input
                    id={`${id}-${key}`}
                    type="number"
                    min={limit.min}
                    max={limit.max}
                    step={limit.step}
                    value={values[key]}
                    aria-invalid={problems[key] ? true : undefined}
                    aria-describedby={`${id}-${key}-help ${errorId(key)}`}
                    onChange={(event) =>
                      setValues((now) => ({ ...now, [key]: event.target.value }))
                    }
                  />
                  <span id={`${id}-${key}-help`} className="hint">
                    {" "}
                    {limit.min}–{limit.max}
                    {limit.step > 1 ? ` in steps of ${limit.step}` : ""}. {help}
                  </span>
                  {fieldError(key)}
                </div>
              </Fragment>
            );
          })}
        </fieldset>
        <LayerPreview preview={preview} classes={classes} />
        <div className="button-row">
          <button
            type="submit"
            className="primary"
            disabled={busy}
            aria-describedby={`${id}-submit-error`}
          >
            Start training
          </button>
          {submitted && blocked && (
            <span className="field-error">Fix the fields marked above first.</span>
          )}
        </div>
        <p
          id={`${id}-submit-error`}
          className={serverError ? "status status-error" : undefined}
          role="alert"
        >
          {serverError}
        </p>
      </form>
    </section>
  );
}

function LayerPreview({
  preview,
  classes,
}: {
  preview: ReturnType<typeof previewLayers> | null;
  classes: number;
}) {
  if (preview === null)
    return <p className="hint">The layers appear here once the numbers are within their ranges.</p>;
  return (
    <div className="layer-preview" aria-live="polite" data-testid="layer-preview">
      <table className="data-table">
        <caption>
          The network this makes ({preview.params.toLocaleString("en")} parameters
          {classes > 0 ? `, ${classes} classes` : ""})
        </caption>
        <thead>
          <tr>
            <th scope="col">layer</th>
            <th scope="col">output shape</th>
            <th scope="col">parameters</th>
          </tr>
        </thead>
        <tbody>
          {preview.layers.map((layer) => (
            <tr key={layer.name} data-layer={layer.name}>
              <td>{layer.name}</td>
              <td>{formatShape(layer.shape)}</td>
              <td>{layer.params || ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {preview.problem && (
        <p className="status status-error" data-testid="preview-problem">
          {preview.problem}
        </p>
      )}
    </div>
  );
}

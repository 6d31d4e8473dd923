/** Every model under the model base path: what it is, how good, whether students may choose it. */
import { useState } from "react";
import { messageOf } from "../../api/errors";
import type { ModelCatalogue, ModelEntry, StudioApi } from "../../api/studio";
import { percent } from "./jobProgress";
import { ModelCard } from "./ModelCard";
import { ShareControl } from "./ShareControl";

const SOURCES: Record<ModelEntry["source"], string> = {
  builtin: "built in",
  trained: "trained here",
  imported: "imported",
};

interface Props {
  api: StudioApi;
  catalogue: ModelCatalogue | null;
  onChanged: (entry: ModelEntry) => void;
}

export function ModelList({ api, catalogue, onChanged }: Props) {
  if (catalogue === null) return <p role="status">Loading the models…</p>;
  return (
    <section aria-labelledby="models-title" className="models-list">
      <h2 id="models-title">Models</h2>
      <p className="hint">
        Students choose among the published models in the explorer's header; the default model is
        always there.
      </p>
      <ul>
        {catalogue.models.map((model) => (
          <li key={model.name}>
            <ModelItem
              api={api}
              model={model}
              isDefault={model.name === catalogue.default}
              onChanged={onChanged}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}

function ModelItem({
  api,
  model,
  isDefault,
  onChanged,
}: {
  api: StudioApi;
  model: ModelEntry;
  isDefault: boolean;
  onChanged: (entry: ModelEntry) => void;
}) {
  // The box follows the click at once and goes back if the server refuses.
  const [pending, setPending] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const toggle = async (published: boolean) => {
    setPending(published);
    setError(null);
    try {
      onChanged(await api.setPublished(model.name, published));
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setPending(null);
    }
  };
  const id = `model-${model.name}`;
  return (
    <article
      className="model-entry"
      aria-labelledby={`${id}-title`}
      data-testid="model-entry"
      data-model={model.name}
    >
      <header className="model-entry-head">
        <h3 id={`${id}-title`}>
          {model.title}
          {model.title !== model.name && <span className="model-name"> ({model.name})</span>}
        </h3>
        <span className={`badge badge-${model.source}`}>{SOURCES[model.source]}</span>
        {isDefault && <span className="badge">default</span>}
      </header>
      <dl className="study-facts">
        <div>
          <dt>Versions</dt>
          <dd>
            {model.versions.join(", ") || "—"} (newest {model.latest})
          </dd>
        </div>
        <div>
          <dt>Accuracy</dt>
          <dd>{model.accuracy === null ? "not measured" : percent(model.accuracy)}</dd>
        </div>
        <div>
          <dt>Classes ({model.classes.length})</dt>
          <dd className="model-classes">{model.classes.join(", ") || "—"}</dd>
        </div>
      </dl>
      <div className="button-row">
        <label className="publish-toggle">
          <input
            type="checkbox"
            checked={pending ?? model.published}
            disabled={pending !== null || isDefault || !model.may_manage}
            aria-describedby={
              isDefault ? `${id}-default` : model.may_manage ? undefined : `${id}-owner`
            }
            onChange={(event) => void toggle(event.target.checked)}
          />{" "}
          Published to students
        </label>
        {isDefault && (
          <span id={`${id}-default`} className="hint">
            The default model is always published.
          </span>
        )}
        {!isDefault && !model.may_manage && (
          <span id={`${id}-owner`} className="hint" data-testid="not-yours">
            {model.owner_id === null
              ? "Made before models had owners: only the admin can publish it."
              : "Another instructor's model: only they, colleagues they share it with, or the admin can publish it."}
          </span>
        )}
        <a href={`/?model=${encodeURIComponent(model.name)}`} target="_blank" rel="noopener">
          Open in the explorer
        </a>
      </div>
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
      {model.may_share && <ShareControl api={api} model={model} onChanged={onChanged} />}
      <details>
        <summary>Model card</summary>
        <ModelCard markdown={model.card} />
      </details>
    </article>
  );
}

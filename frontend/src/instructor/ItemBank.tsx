/**
 * The item bank (forms A and B): each item's owner and version; edit or retire one's own
 * items (the admin: anyone's; built-in items nobody's); export and import JSON or CSV.
 */
import { useCallback, useEffect, useState } from "react";
import { messageOf } from "../api/errors";
import type { InstructorApi, Item, ItemData } from "../api/instructor";

export function ItemBank({ api }: { api: InstructorApi }) {
  const [items, setItems] = useState<Item[]>([]);
  const [editing, setEditing] = useState<Item | null>(null);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);

  const load = useCallback(async () => {
    try {
      setItems(await api.items());
    } catch (caught) {
      setMessage({ kind: "error", text: messageOf(caught) });
    }
  }, [api]);
  useEffect(() => void load(), [load]);

  const importFile = async (file: File) => {
    const text = await file.text();
    const type = file.name.toLowerCase().endsWith(".csv") ? "text/csv" : "application/json";
    try {
      const result = await api.importItems(text, type);
      setMessage({
        kind: "ok",
        text: `Imported ${file.name}: ${result.created} new, ${result.updated} updated.`,
      });
      await load();
    } catch (caught) {
      setMessage({
        kind: "error",
        text: `${file.name} was not imported (nothing changed): ${messageOf(caught)}`,
      });
    }
  };

  const retire = async (item: Item) => {
    if (
      !window.confirm(`Retire ${item.key}? New studies will not use it; studies that did keep it.`)
    )
      return;
    try {
      await api.retireItem(item.id);
      setMessage({ kind: "ok", text: `Retired ${item.key}.` });
      await load();
    } catch (caught) {
      setMessage({ kind: "error", text: `${item.key} was not retired: ${messageOf(caught)}` });
    }
  };

  return (
    <section className="item-bank" aria-labelledby="items-title">
      <h2 id="items-title">Item bank</h2>
      <p className="hint">
        Two parallel forms; each student takes one as pre-test and the other as post-test. A study
        keeps the exact item versions it opened with: editing an item a study used makes its next
        version, which only studies opened later get. Built-in items are read-only; you may edit or
        retire the items you imported.
      </p>
      <div className="button-row">
        <a href={api.itemsExportUrl("json")} download="cnn101-items.json">
          Export JSON
        </a>
        <a href={api.itemsExportUrl("csv")} download>
          Export CSV
        </a>
        <label className="file-button">
          Import JSON or CSV…{" "}
          <input
            type="file"
            accept=".json,.csv,application/json,text/csv"
            onChange={(event) => {
              const file = event.target.files?.[0];
              event.target.value = "";
              if (file) void importFile(file);
            }}
          />
        </label>
      </div>
      {message && (
        <p
          className={`status${message.kind === "error" ? " status-error" : ""}`}
          role={message.kind === "error" ? "alert" : "status"}
        >
          {message.text}
        </p>
      )}
      {editing && (
        <ItemEditor
          item={editing}
          onCancel={() => setEditing(null)}
          onSave={async (data) => {
            const saved = await api.editItem(editing.id, data);
            setEditing(null);
            const versioned = saved.version !== editing.version;
            setMessage({
              kind: "ok",
              text: versioned
                ? `Saved ${data.key} as version ${saved.version}; studies that used version ${editing.version} keep it.`
                : `Saved ${data.key}.`,
            });
            await load();
          }}
        />
      )}
      <table className="data-table items-table">
        <thead>
          <tr>
            <th scope="col">key</th>
            <th scope="col">form</th>
            <th scope="col">#</th>
            <th scope="col">concept</th>
            <th scope="col">question</th>
            <th scope="col">version</th>
            <th scope="col">owner</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id}>
              <td>{item.key}</td>
              <td>{item.form}</td>
              <td>{item.position}</td>
              <td>{item.concept}</td>
              <td className="item-stem">{item.stem}</td>
              <td data-testid={`version-${item.key}`}>
                {item.version}
                {item.in_use && (
                  <span className="hint" title="A study used this version: an edit makes the next">
                    {" "}
                    (in use)
                  </span>
                )}
              </td>
              <td data-testid={`owner-${item.key}`}>{item.owner ?? "built-in"}</td>
              <td>
                {item.locked ? (
                  <span
                    className="hint item-locked"
                    data-testid={`locked-${item.key}`}
                    title={item.locked}
                  >
                    {item.owner_id === null || item.owner_id === undefined
                      ? "Read-only"
                      : "Not yours"}
                  </span>
                ) : (
                  <span className="button-row">
                    <button
                      type="button"
                      onClick={() => setEditing(item)}
                      aria-label={`Edit ${item.key}`}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      onClick={() => void retire(item)}
                      aria-label={`Retire ${item.key}`}
                    >
                      Retire
                    </button>
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ItemEditor({
  item,
  onSave,
  onCancel,
}: {
  item: Item;
  onSave: (data: ItemData) => Promise<void>;
  onCancel: () => void;
}) {
  const [stem, setStem] = useState(item.stem);
  const [options, setOptions] = useState(item.options);
  const [correct, setCorrect] = useState(item.correct_index);
  const [explanation, setExplanation] = useState(item.explanation);
  const [error, setError] = useState<string | null>(null);
  const save = () => {
    const data: ItemData = {
      key: item.key,
      form: item.form,
      position: item.position,
      concept: item.concept,
      stem,
      options,
      correct_index: correct,
      explanation,
    };
    onSave(data).catch((caught: unknown) => setError(messageOf(caught)));
  };
  return (
    <form
      className="item-editor form-grid"
      aria-label={`Edit item ${item.key}`}
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <span>Item</span>
      <strong>
        {item.key} version {item.version} (form {item.form}, #{item.position}, {item.concept})
      </strong>
      {item.in_use && (
        <>
          <span />
          <p className="hint" data-testid="new-version-note">
            A study used this version: saving makes version {item.version + 1} for new studies.
          </p>
        </>
      )}
      <label htmlFor="item-stem">Question</label>
      <textarea
        id="item-stem"
        rows={3}
        required
        autoFocus
        value={stem}
        onChange={(event) => setStem(event.target.value)}
      />
      {options.map((option, index) => (
        <div key={index} className="option-row" style={{ display: "contents" }}>
          <label htmlFor={`item-option-${index}`}>Option {index + 1}</label>
          <span className="button-row">
            <input
              id={`item-option-${index}`}
              required
              value={option}
              onChange={(event) =>
                setOptions(options.map((o, i) => (i === index ? event.target.value : o)))
              }
            />
            <label>
              <input
                type="radio"
                name="correct"
                checked={correct === index}
                onChange={() => setCorrect(index)}
              />{" "}
              correct
            </label>
          </span>
        </div>
      ))}
      <label htmlFor="item-explanation">Explanation</label>
      <textarea
        id="item-explanation"
        rows={3}
        required
        value={explanation}
        onChange={(event) => setExplanation(event.target.value)}
      />
      <span />
      <div className="button-row">
        <button type="submit" className="primary">
          Save item
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/**
 * The conventional arm's material of one study: the built-in tutorial or one of the
 * instructor's uploaded PDFs or videos. Chosen while the study is a draft (uploads are
 * managed here too); once it opens, the choice is shown and fixed, and the
 * pre-registration names it.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { messageOf } from "../api/errors";
import type { Study } from "../api/instructor";
import {
  createMaterialApi,
  formatSize,
  type Material,
  type StudyMaterialState,
} from "../api/material";
import { MaterialUpload } from "./MaterialUpload";

interface Props {
  study: Study;
}

export function MaterialPanel({ study }: Props) {
  const api = useMemo(() => createMaterialApi(), []);
  const [state, setState] = useState<StudyMaterialState | null>(null);
  const [library, setLibrary] = useState<Material[]>([]);
  const [error, setError] = useState<string | null>(null);
  const draft = study.status === "draft";

  const load = useCallback(async () => {
    try {
      setState(await api.ofStudy(study.id));
      if (draft) setLibrary(await api.list());
      setError(null);
    } catch (caught) {
      setError(messageOf(caught));
    }
  }, [api, study.id, draft]);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setError(null);
    } catch (caught) {
      setError(messageOf(caught));
    }
    await load();
  };

  const chosen = state?.material ?? null;
  return (
    <section
      className="material-panel"
      aria-labelledby="material-title"
      data-testid="material-panel"
    >
      <h3 id="material-title">Conventional arm&rsquo;s material</h3>
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
      <p data-testid="material-chosen">
        {chosen === null ? (
          "The built-in tutorial (nine static pages with figures)."
        ) : (
          <>
            {chosen.kind === "pdf" ? "Document (PDF)" : "Lecture video"}{" "}
            <strong>{chosen.title}</strong>, {formatSize(chosen.size_bytes)}, SHA-256{" "}
            <code title={chosen.sha256}>{chosen.sha256.slice(0, 12)}</code> (
            <a href={api.fileUrl(chosen.id)} target="_blank" rel="noreferrer">
              view
            </a>
            )
          </>
        )}
        {!draft && " Fixed since the study opened."}
      </p>
      {draft && (
        <>
          <label>
            Students in the conventional arm study{" "}
            <select
              data-testid="material-select"
              value={chosen?.id ?? ""}
              onChange={(event) => {
                const value = event.target.value;
                void act(() => api.choose(study.id, value === "" ? null : Number(value)));
              }}
            >
              <option value="">the built-in tutorial</option>
              {library.map((material) => (
                <option key={material.id} value={material.id}>
                  {material.title} ({material.kind === "pdf" ? "PDF" : "video"},{" "}
                  {formatSize(material.size_bytes)})
                </option>
              ))}
            </select>
          </label>
          <MaterialUpload onUploaded={load} />
          {library.length > 0 && (
            <ul className="material-list">
              {library.map((material) => (
                <li key={material.id}>
                  {material.title} — {material.original_filename}, {formatSize(material.size_bytes)}{" "}
                  <a href={api.fileUrl(material.id)} target="_blank" rel="noreferrer">
                    View
                  </a>{" "}
                  <button
                    type="button"
                    disabled={material.in_use}
                    title={material.in_use ? "A study uses it" : undefined}
                    onClick={() => void act(() => api.remove(material.id))}
                  >
                    Delete
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

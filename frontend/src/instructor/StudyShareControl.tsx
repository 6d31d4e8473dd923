/**
 * Share a study with colleagues (its owner or the admin): they run it and read its results,
 * as the owner does, but do not share it further.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { messageOf } from "../api/errors";
import { instructorKeys, type InstructorApi, type Study } from "../api/instructor";

interface Props {
  api: InstructorApi;
  study: Study;
  onChanged: () => Promise<void>;
}

export function StudyShareControl({ api, study, onChanged }: Props) {
  const colleagues = useQuery({ queryKey: instructorKeys.colleagues, queryFn: api.colleagues });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toggle = async (id: number, shared: boolean) => {
    const next = shared
      ? [...study.shared_with, id]
      : study.shared_with.filter((other) => other !== id);
    setBusy(true);
    setError(null);
    try {
      await api.shareStudy(study.id, next);
      await onChanged();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };
  const others = (colleagues.data ?? []).filter((c) => c.email !== study.owner_email);
  return (
    <details data-testid="study-share">
      <summary>
        Shared with {study.shared_with.length === 0 ? "no one" : study.shared_with.length}
      </summary>
      <p className="hint">Colleagues you share it with run it and read its results.</p>
      {others.length === 0 && colleagues.isSuccess && (
        <p className="hint">No other instructor yet.</p>
      )}
      <ul>
        {others.map((colleague) => (
          <li key={colleague.id}>
            <label>
              <input
                type="checkbox"
                checked={study.shared_with.includes(colleague.id)}
                disabled={busy}
                onChange={(event) => void toggle(colleague.id, event.target.checked)}
              />{" "}
              {colleague.email}
            </label>
          </li>
        ))}
      </ul>
      {(error ?? colleagues.error) && (
        <p className="status status-error" role="alert">
          {error ?? messageOf(colleagues.error)}
        </p>
      )}
    </details>
  );
}

/**
 * Share a model with colleagues (its owner or the admin): they may then publish it and add
 * versions, as the owner may. The list of colleagues comes from the study service.
 */
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { messageOf } from "../../api/errors";
import { createInstructorApi, instructorKeys } from "../../api/instructor";
import type { ModelEntry, StudioApi } from "../../api/studio";

interface Props {
  api: StudioApi;
  model: ModelEntry;
  onChanged: (entry: ModelEntry) => void;
}

export function ShareControl({ api, model, onChanged }: Props) {
  const instructors = useMemo(() => createInstructorApi(), []);
  const colleagues = useQuery({
    queryKey: instructorKeys.colleagues,
    queryFn: instructors.colleagues,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toggle = async (id: number, shared: boolean) => {
    const next = shared
      ? [...model.shared_with, id]
      : model.shared_with.filter((other) => other !== id);
    setBusy(true);
    setError(null);
    try {
      onChanged(await api.share(model.name, next));
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };
  const others = (colleagues.data ?? []).filter((c) => c.id !== model.owner_id);
  return (
    <details data-testid="share-control">
      <summary>
        Shared with {model.shared_with.length === 0 ? "no one" : model.shared_with.length}
      </summary>
      <p className="hint">
        Colleagues you share it with may publish it and train or import new versions of it.
      </p>
      {colleagues.error && (
        <p className="status status-error" role="alert">
          {messageOf(colleagues.error)}
        </p>
      )}
      {others.length === 0 && colleagues.isSuccess && (
        <p className="hint">No other instructor yet.</p>
      )}
      <ul>
        {others.map((colleague) => (
          <li key={colleague.id}>
            <label>
              <input
                type="checkbox"
                checked={model.shared_with.includes(colleague.id)}
                disabled={busy}
                onChange={(event) => void toggle(colleague.id, event.target.checked)}
              />{" "}
              {colleague.email}
            </label>
          </li>
        ))}
      </ul>
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
    </details>
  );
}

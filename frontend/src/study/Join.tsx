/** Join with the code from the projector (or the join link's `?code=`). */
import { useState } from "react";
import type { StudentApi } from "../api/student";
import { messageOf } from "../api/errors";
import { Page } from "./Page";
import type { Joined } from "./storage";

export function Join({
  api,
  onJoined,
  farewell,
}: {
  api: StudentApi;
  onJoined: (joined: Joined) => void;
  farewell: string | null;
}) {
  const [code, setCode] = useState(
    () => new URLSearchParams(window.location.search).get("code") ?? "",
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setBusy(true);
    try {
      const joined = await api.join(code.trim());
      onJoined({
        token: joined.token,
        studyTitle: joined.study_title,
        consentText: joined.consent_text,
      });
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Join the study">
      {farewell && (
        <p className="status" role="status">
          {farewell}
        </p>
      )}
      <form
        className="join-form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label htmlFor="join-code">Join code (shown by your instructor)</label>
        <input
          id="join-code"
          name="code"
          value={code}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          maxLength={32}
          required
          onChange={(event) => setCode(event.target.value)}
          aria-describedby={error ? "join-error" : undefined}
        />
        <button type="submit" className="primary" disabled={busy || code.trim() === ""}>
          Join
        </button>
      </form>
      {error && (
        <p id="join-error" className="status status-error" role="alert">
          {error}
        </p>
      )}
      <p className="hint">
        No name is asked: you get a pseudonymous code. This browser remembers you, so you can reload
        the page.
      </p>
    </Page>
  );
}

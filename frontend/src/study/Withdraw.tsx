/** Withdrawal, available at every step: asks once more, then deletes the participant. */
import { useState } from "react";
import { messageOf } from "../api/errors";

export function Withdraw({ onWithdraw }: { onWithdraw: () => Promise<void> }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!asking) {
    return (
      <button type="button" className="link-button withdraw" onClick={() => setAsking(true)}>
        Withdraw from the study
      </button>
    );
  }
  return (
    <div className="withdraw-confirm" role="group" aria-label="Withdraw from the study">
      <p>
        Withdraw? Everything recorded about you (answers, timings, events) is deleted, and you leave
        the study.
      </p>
      <button
        type="button"
        className="danger"
        onClick={() => void onWithdraw().catch((caught: unknown) => setError(messageOf(caught)))}
      >
        Delete my data and withdraw
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
      {error && (
        <p role="alert" className="status status-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** The consent text and the three choices the study offers. */
import { useState } from "react";
import type { ConsentChoice } from "../api/student";
import { Page } from "./Page";

export function Consent({
  consentText,
  onChoose,
}: {
  consentText: string;
  onChoose: (choice: ConsentChoice, priorMl: boolean | null) => Promise<void>;
}) {
  const [priorMl, setPriorMl] = useState<boolean | null>(null);
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);

  const choose = async (choice: ConsentChoice) => {
    if (choice === "participate" && priorMl === null) {
      setMissing(true);
      return;
    }
    setBusy(true);
    await onChoose(choice, choice === "participate" ? priorMl : null);
    setBusy(false);
  };

  return (
    <Page title="Consent">
      <div className="consent-text" data-testid="consent-text">
        {consentText === "" ? (
          <p>Your instructor's consent text is shown when you join.</p>
        ) : (
          consentText
        )}
      </div>
      <fieldset className="choice-group" aria-describedby={missing ? "prior-missing" : undefined}>
        <legend>Have you studied machine learning before (a course, a book, a project)?</legend>
        <label>
          <input
            type="radio"
            name="prior_ml"
            checked={priorMl === true}
            onChange={() => {
              setPriorMl(true);
              setMissing(false);
            }}
          />{" "}
          Yes
        </label>
        <label>
          <input
            type="radio"
            name="prior_ml"
            checked={priorMl === false}
            onChange={() => {
              setPriorMl(false);
              setMissing(false);
            }}
          />{" "}
          No
        </label>
      </fieldset>
      {missing && (
        <p id="prior-missing" className="status status-error" role="alert">
          Please answer the question above to take part.
        </p>
      )}
      <div className="consent-choices">
        <button
          type="button"
          className="primary"
          disabled={busy}
          onClick={() => void choose("participate")}
        >
          Take part in the study
        </button>
        <button type="button" disabled={busy} onClick={() => void choose("no_data")}>
          Use the material without my data being used
        </button>
        <button type="button" disabled={busy} onClick={() => void choose("decline")}>
          Decline
        </button>
      </div>
    </Page>
  );
}

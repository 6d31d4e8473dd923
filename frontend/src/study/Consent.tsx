/** The consent text, the prior-ML question, the course section (when the study has
 * sections) and the three choices the study offers. */
import { useState } from "react";
import type { ConsentChoice } from "../api/student";
import { Page } from "./Page";

export function Consent({
  consentText,
  sections = [],
  onChoose,
}: {
  consentText: string;
  /** The study's course sections; empty: none, nothing to choose. */
  sections?: string[];
  onChoose: (
    choice: ConsentChoice,
    priorMl: boolean | null,
    section: number | null,
  ) => Promise<void>;
}) {
  const [priorMl, setPriorMl] = useState<boolean | null>(null);
  const [section, setSection] = useState<number | null>(null);
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const sectionMissing = sections.length > 0 && section === null;

  const choose = async (choice: ConsentChoice) => {
    if (choice === "participate" && (priorMl === null || sectionMissing)) {
      setMissing(true);
      return;
    }
    setBusy(true);
    const participating = choice === "participate";
    await onChoose(choice, participating ? priorMl : null, participating ? section : null);
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
      {sections.length > 0 && (
        <p className="section-choice">
          <label htmlFor="section">Your course section</label>{" "}
          <select
            id="section"
            name="section"
            required
            aria-required="true"
            aria-describedby={missing && section === null ? "prior-missing" : undefined}
            value={section === null ? "" : String(section)}
            onChange={(event) => {
              setSection(event.target.value === "" ? null : Number(event.target.value));
              setMissing(false);
            }}
          >
            <option value="">Choose your section…</option>
            {sections.map((name, index) => (
              <option key={name} value={String(index)}>
                {name}
              </option>
            ))}
          </select>
        </p>
      )}
      {missing && (
        <p id="prior-missing" className="status status-error" role="alert">
          {sectionMissing
            ? "Please answer the question above and choose your section to take part."
            : "Please answer the question above to take part."}
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

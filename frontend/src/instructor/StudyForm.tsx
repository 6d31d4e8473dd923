/** Create a study, or edit a draft: title, consent text, times, optional seed, the class
 * size its pre-registration's power plan assumes. */
import { useState } from "react";
import { messageOf } from "../api/errors";
import type { Study, StudyFields } from "../api/instructor";
import { expectedStudents, PowerHint } from "./PowerHint";

const DEFAULT_CONSENT = `This lesson is part of a study on how students learn about convolutional neural networks.
You take a short test, learn with the material you are assigned for a fixed time, take a second test and answer three questions.
No names are recorded: you get a pseudonymous code. You may withdraw at any time with the button at the top; your data is then deleted.
You may also use the material without your data being used, or decline.`;

interface Props {
  study?: Study;
  onSave: (fields: StudyFields) => Promise<void>;
  onCancel: () => void;
}

export function StudyForm({ study, onSave, onCancel }: Props) {
  const [title, setTitle] = useState(study?.title ?? "");
  const [consent, setConsent] = useState(study?.consent_text ?? DEFAULT_CONSENT);
  const [learning, setLearning] = useState(String((study?.learning_seconds ?? 1200) / 60));
  const [pre, setPre] = useState(String((study?.pre_test_seconds ?? 600) / 60));
  const [post, setPost] = useState(String((study?.post_test_seconds ?? 600) / 60));
  const [seed, setSeed] = useState("");
  const [expected, setExpected] = useState(
    study?.expected_students == null ? "" : String(study.expected_students),
  );
  // One course section per line (e.g. "Mon 9:00"); empty: the study has none.
  const [sections, setSections] = useState((study?.sections ?? []).join("\n"));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const seconds = (minutes: string) => Math.round(Number(minutes) * 60);
  const submit = async () => {
    const fields: StudyFields = {
      title: title.trim(),
      consent_text: consent.trim(),
      learning_seconds: seconds(learning),
      pre_test_seconds: seconds(pre),
      post_test_seconds: seconds(post),
      sections: sections
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== ""),
    };
    if (!study && seed.trim() !== "") fields.assignment_seed = Number(seed);
    // Empty or out of range: not sent, the pre-registration assumes 40 (a draft keeps
    // what it had); PowerHint says so next to the field.
    const students = expectedStudents(expected);
    if (students !== null) fields.expected_students = students;
    setBusy(true);
    try {
      await onSave(fields);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="study-form" aria-labelledby="study-form-title">
      <h2 id="study-form-title">{study ? "Edit the draft" : "New study"}</h2>
      <form
        className="form-grid"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label htmlFor="study-title">Title</label>
        <input
          id="study-title"
          required
          maxLength={200}
          value={title}
          onChange={(event) => setTitle(event.target.value)}
        />
        <label htmlFor="study-consent">Consent text</label>
        <textarea
          id="study-consent"
          required
          rows={6}
          value={consent}
          onChange={(event) => setConsent(event.target.value)}
        />
        <span>Conditions</span>
        <p className="hint">
          cnn101 (the explorer) and conventional (the static tutorial), assigned at random in
          balanced blocks per pre-test band.
        </p>
        <label htmlFor="study-pre">Pre-test (minutes)</label>
        <input
          id="study-pre"
          type="number"
          min={0.05}
          step="any"
          required
          value={pre}
          onChange={(event) => setPre(event.target.value)}
        />
        <label htmlFor="study-learning">Learning phase (minutes)</label>
        <input
          id="study-learning"
          type="number"
          min={0.05}
          step="any"
          required
          value={learning}
          onChange={(event) => setLearning(event.target.value)}
        />
        <label htmlFor="study-post">Post-test (minutes)</label>
        <input
          id="study-post"
          type="number"
          min={0.05}
          step="any"
          required
          value={post}
          onChange={(event) => setPost(event.target.value)}
        />
        {!study && (
          <>
            <label htmlFor="study-seed">Assignment seed (optional)</label>
            <input
              id="study-seed"
              type="number"
              min={0}
              step={1}
              value={seed}
              placeholder="random"
              onChange={(event) => setSeed(event.target.value)}
            />
          </>
        )}
        <PowerHint value={expected} onChange={setExpected} />
        <label htmlFor="study-sections">Course sections (optional, one per line)</label>
        <div>
          <textarea
            id="study-sections"
            rows={3}
            value={sections}
            placeholder={"Mon 9:00\nTue 14:00"}
            aria-describedby="study-sections-hint"
            onChange={(event) => setSections(event.target.value)}
          />
          <p id="study-sections-hint" className="hint">
            Up to 20 names of 1&ndash;40 characters. Each student picks theirs when they consent;
            each section is randomised on its own, and the results add section checks.
          </p>
        </div>
        <span>Quiz forms</span>
        <p className="hint">
          Forms A and B of the item bank, counterbalanced between pre- and post-test (edit them
          under Item bank).
        </p>
        <span />
        <div className="button-row">
          <button type="submit" className="primary" disabled={busy}>
            {study ? "Save" : "Create study"}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
      {error && (
        <p className="status status-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

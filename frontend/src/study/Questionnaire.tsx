/** UMUX-Lite (two items, 1–7) and the one-item mental effort rating (Paas, 1–9). */
import { useState } from "react";
import type { Questionnaire as Answers } from "../api/student";
import { Page } from "./Page";

const AGREEMENT = ["Strongly disagree", "", "", "", "", "", "Strongly agree"];
export const PAAS_LABELS = [
  "Very, very low mental effort",
  "Very low mental effort",
  "Low mental effort",
  "Rather low mental effort",
  "Neither low nor high mental effort",
  "Rather high mental effort",
  "High mental effort",
  "Very high mental effort",
  "Very, very high mental effort",
];

interface ScaleProps {
  name: string;
  question: string;
  labels: string[];
  value: number | null;
  onChange: (value: number) => void;
  vertical?: boolean;
}

function Scale({ name, question, labels, value, onChange, vertical = false }: ScaleProps) {
  return (
    <fieldset className={`scale${vertical ? " scale-vertical" : ""}`} data-testid={`scale-${name}`}>
      <legend>{question}</legend>
      {labels.map((label, index) => (
        <label key={index} className="scale-point">
          <input
            type="radio"
            name={name}
            value={index + 1}
            checked={value === index + 1}
            onChange={() => onChange(index + 1)}
          />
          <span className="scale-number">{index + 1}</span>
          {label !== "" && <span className="scale-label">{label}</span>}
        </label>
      ))}
    </fieldset>
  );
}

export function Questionnaire({
  condition,
  onSubmit,
}: {
  condition: string | null;
  onSubmit: (answers: Answers) => Promise<void>;
}) {
  const material = condition === "cnn101" ? "CNN 101 (the explorer)" : "the tutorial";
  // UMUX-Lite's wording with the material named: "[This system's] capabilities meet my requirements."
  const subject = condition === "cnn101" ? "CNN 101" : "The tutorial";
  const [capabilities, setCapabilities] = useState<number | null>(null);
  const [ease, setEase] = useState<number | null>(null);
  const [effort, setEffort] = useState<number | null>(null);
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    if (capabilities === null || ease === null || effort === null) {
      setMissing(true);
      return;
    }
    setBusy(true);
    await onSubmit({ umux_capabilities: capabilities, umux_ease: ease, mental_effort: effort });
    setBusy(false);
  };

  return (
    <Page title="Three short questions">
      <p>About the material you learned with: {material}.</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <Scale
          name="umux_capabilities"
          question={`${subject}'s capabilities meet my requirements.`}
          labels={AGREEMENT}
          value={capabilities}
          onChange={(v) => {
            setCapabilities(v);
            setMissing(false);
          }}
        />
        <Scale
          name="umux_ease"
          question={`${subject} is easy to use.`}
          labels={AGREEMENT}
          value={ease}
          onChange={(v) => {
            setEase(v);
            setMissing(false);
          }}
        />
        <Scale
          name="mental_effort"
          question="How much mental effort did you invest in learning during the learning phase?"
          labels={PAAS_LABELS}
          value={effort}
          onChange={(v) => {
            setEffort(v);
            setMissing(false);
          }}
          vertical
        />
        {missing && (
          <p className="status status-error" role="alert">
            Please answer all three questions.
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          Submit
        </button>
      </form>
    </Page>
  );
}

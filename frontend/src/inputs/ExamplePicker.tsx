/** The class examples as thumbnails, one class at a time, the current image's class first. */
import { useState } from "react";
import type { Example } from "../api/client";
import { RetryingImage } from "../components/RetryingImage";
import type { ImageRef } from "../url/state";

interface ExamplePickerProps {
  examples: Example[];
  imageUrl: (id: string) => string;
  current: ImageRef | null;
  onPick: (id: string) => void;
}

export function ExamplePicker({ examples, imageUrl, current, onPick }: ExamplePickerProps) {
  const classes = [...new Map(examples.map((example) => [example.label, example.class_name]))];
  const currentLabel = examples.find((example) => current?.kind === "example" && example.id === current.id)?.label;
  const [chosen, setChosen] = useState<number | null>(null);
  const label = chosen ?? currentLabel ?? classes[0]?.[0] ?? 0;
  return (
    <section className="examples" aria-label="Example images">
      <label className="examples-class">
        Class{" "}
        <select value={label} onChange={(event) => setChosen(Number(event.target.value))} data-testid="class-select">
          {classes.map(([index, name]) => <option key={index} value={index}>{name}</option>)}
        </select>
      </label>
      <div className="thumbnails">
        {examples.filter((example) => example.label === label).map((example) => {
          const selected = current?.kind === "example" && current.id === example.id;
          return (
            <button
              type="button"
              key={example.id}
              className={`thumbnail${selected ? " thumbnail-selected" : ""}`}
              aria-pressed={selected}
              aria-label={`${example.class_name} example ${example.id}`}
              data-example={example.id}
              onClick={() => onPick(example.id)}
            >
              <RetryingImage src={imageUrl(example.id)} alt="" width={48} height={48} loading="lazy" />
            </button>
          );
        })}
      </div>
    </section>
  );
}

/**
 * The class examples as thumbnails, one class at a time, the current image's class first.
 * A class's thumbnails are tiles of one sprite image (`sprite_url`, tile `sprite_index`):
 * one request per class instead of one per thumbnail, which is what a class of several
 * hundred opening the explorer at once sends the gateway.
 *
 * The thumbnails are one Tab stop (a toolbar with a roving tabindex): the arrow keys, Home
 * and End move between them and Enter or Space picks one, so a keyboard user reaches the
 * network after a few Tabs instead of one per thumbnail.
 */
import { useState, type CSSProperties } from "react";
import type { Example } from "../api/explorer";
import { RetryingImage } from "../components/RetryingImage";
import { moveFocusWithin } from "../components/roving";
import type { ImageRef } from "../url/state";

interface ExamplePickerProps {
  examples: Example[];
  current: ImageRef | null;
  onPick: (id: string) => void;
}

/** Places the sprite so that only tile `index` of `count` shows through the thumbnail. */
export function tileStyle(index: number, count: number): CSSProperties {
  return { "--tile-index": index, "--tile-count": count } as CSSProperties;
}

export function ExamplePicker({ examples, current, onPick }: ExamplePickerProps) {
  const classes = [...new Map(examples.map((example) => [example.label, example.class_name]))];
  const currentLabel = examples.find(
    (example) => current?.kind === "example" && example.id === current.id,
  )?.label;
  const [chosen, setChosen] = useState<number | null>(null);
  const label = chosen ?? currentLabel ?? classes[0]?.[0] ?? 0;
  // No picture yet (the first one, usually the featured example, is being chosen): no
  // thumbnails, so the first load does not fetch a sprite of a class nobody looks at.
  const shown =
    current === null && chosen === null
      ? []
      : examples.filter((example) => example.label === label);
  const selectedIndex = shown.findIndex(
    (example) => current?.kind === "example" && current.id === example.id,
  );
  return (
    <section className="examples" aria-label="Example images">
      <label className="examples-class">
        Class{" "}
        <select
          value={label}
          onChange={(event) => setChosen(Number(event.target.value))}
          data-testid="class-select"
        >
          {classes.map(([index, name]) => (
            <option key={index} value={index}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <div
        className="thumbnails"
        role="toolbar"
        aria-label="Examples of the class (arrow keys move, Enter picks)"
        onKeyDown={moveFocusWithin}
      >
        {shown.map((example, index) => {
          const selected = current?.kind === "example" && current.id === example.id;
          const stop = selectedIndex >= 0 ? index === selectedIndex : index === 0;
          return (
            <button
              type="button"
              key={example.id}
              tabIndex={stop ? 0 : -1}
              className={`thumbnail${selected ? " thumbnail-selected" : ""}`}
              aria-pressed={selected}
              aria-label={`${example.class_name} example ${example.id}`}
              data-example={example.id}
              onClick={() => onPick(example.id)}
            >
              <span
                className="thumbnail-tile"
                style={tileStyle(example.sprite_index, shown.length)}
              >
                <RetryingImage src={example.sprite_url} alt="" />
              </span>
            </button>
          );
        })}
      </div>
    </section>
  );
}

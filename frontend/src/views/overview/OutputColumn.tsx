/** The output layer as class labels with probability bars; the top class stands out. */
import type { Column } from "../../math/layout";
import type { ModelClass } from "../../model/graph";
import type { NeuronRef } from "./types";

interface OutputColumnProps {
  column: Column;
  columnIndex: number;
  classes: ModelClass[];
  probabilities: number[];
  hovered: NeuronRef | null;
  onHover: (neuron: NeuronRef | null) => void;
  /** A neuron took the keyboard focus: it becomes the overview's one Tab stop. */
  onFocusNeuron: (neuron: NeuronRef) => void;
  /** The index of the neuron Tab reaches (roving tabindex), if it is in this column. */
  tabStop: number | null;
  /** Opens the flatten and softmax views of a class (absent when a lesson hides them). */
  onSelect?: (index: number) => void;
}

/** What a row needs besides its bar: the name, the percentage and the gaps. */
const ROW_TEXT = 136;
const MIN_BAR = 16;

export function OutputColumn({
  column,
  columnIndex,
  classes,
  probabilities,
  hovered,
  onHover,
  onFocusNeuron,
  tabStop,
  onSelect,
}: OutputColumnProps) {
  const top = probabilities.indexOf(Math.max(...probabilities));
  const barWidth = Math.max(MIN_BAR, column.width - ROW_TEXT);
  return (
    <>
      {column.neurons.map((neuron) => {
        const probability = probabilities[neuron.index] ?? 0;
        const label = classes[neuron.index]?.name ?? `class ${neuron.index}`;
        const ref = { column: columnIndex, index: neuron.index };
        const active = hovered?.column === columnIndex && hovered.index === neuron.index;
        return (
          <button
            type="button"
            key={neuron.index}
            className={`class-row${neuron.index === top ? " class-top" : ""}${active ? " neuron-active" : ""}`}
            style={{ left: neuron.x, top: neuron.y, width: column.width }}
            data-class={label}
            data-probability={probability}
            data-column-index={columnIndex}
            data-index={neuron.index}
            onPointerEnter={() => onHover(ref)}
            onPointerLeave={() => onHover(null)}
            tabIndex={tabStop === neuron.index ? 0 : -1}
            onFocus={() => onFocusNeuron(ref)}
            onBlur={() => onHover(null)}
            onClick={() => {
              onHover(ref);
              onSelect?.(neuron.index);
            }}
          >
            <span className="class-bar" style={{ width: barWidth }} aria-hidden="true">
              <span
                className="class-bar-fill"
                style={{ width: Math.max(1, probability * barWidth) }}
              />
            </span>
            {/* The name is the text on screen (axe: label-content-name-mismatch), "probability" added. */}
            <span className="class-label">{label}</span>
            <span className="visually-hidden">: probability </span>
            <span className="class-value">{(probability * 100).toFixed(1)}%</span>
          </button>
        );
      })}
    </>
  );
}

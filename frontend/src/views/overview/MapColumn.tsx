/** A column of heatmaps: one focusable neuron per channel, named for screen readers. */
import type { Column } from "../../math/layout";
import type { ScopeRange } from "../../math/scopes";
import { Heatmap } from "./Heatmap";
import { formatValue, type NeuronMap } from "./planes";
import type { NeuronRef } from "./types";

const CHANNEL_NAMES = ["red", "green", "blue"];

interface MapColumnProps {
  column: Column;
  columnIndex: number;
  maps: NeuronMap[];
  range: ScopeRange | undefined;
  hovered: NeuronRef | null;
  /** The neuron whose intermediate view is open, if it is in this column. */
  selected: number | null;
  highlighted: ReadonlySet<number>;
  /** Another neuron's view is open and this column is context only: it steps back. */
  faded?: boolean;
  onHover: (neuron: NeuronRef | null) => void;
  /** A neuron took the keyboard focus: it becomes the overview's one Tab stop. */
  onFocusNeuron: (neuron: NeuronRef) => void;
  /** The index of the neuron Tab reaches (roving tabindex), if it is in this column. */
  tabStop: number | null;
  /** Opens the neuron's intermediate view (conv) or detail view (relu, max-pool). */
  onSelect?: (index: number) => void;
}

export function MapColumn({
  column,
  columnIndex,
  maps,
  range,
  hovered,
  selected,
  highlighted,
  faded,
  onHover,
  onFocusNeuron,
  tabStop,
  onSelect,
}: MapColumnProps) {
  const isInput = column.kind === "input";
  return (
    <>
      {column.neurons.map((neuron) => {
        const map = maps[neuron.index];
        if (!map) return null;
        const name = isInput
          ? `${CHANNEL_NAMES[neuron.index] ?? `channel ${neuron.index + 1}`} channel of the input`
          : `${column.layer.name}, neuron ${neuron.index + 1}`;
        const active = hovered?.column === columnIndex && hovered.index === neuron.index;
        const ref = { column: columnIndex, index: neuron.index };
        return (
          <button
            type="button"
            key={neuron.index}
            className={`neuron${active ? " neuron-active" : ""}${highlighted.has(neuron.index) ? " neuron-source" : ""}${selected === neuron.index ? " neuron-selected" : ""}${faded ? " neuron-context" : ""}`}
            style={{ left: neuron.x, top: neuron.y, width: column.width, height: column.width }}
            aria-label={`${name}: values from ${formatValue(map.extent.min)} to ${formatValue(map.extent.max)}`}
            data-layer={column.layer.name}
            data-neuron={neuron.index}
            aria-pressed={onSelect ? selected === neuron.index : undefined}
            data-column-index={columnIndex}
            data-index={neuron.index}
            onPointerEnter={() => onHover(ref)}
            onPointerLeave={() => onHover(null)}
            tabIndex={tabStop === neuron.index ? 0 : -1}
            onFocus={() => onFocusNeuron(ref)}
            onBlur={() => onHover(null)}
            onClick={() => (onSelect ? onSelect(neuron.index) : onHover(ref))}
          >
            <Heatmap
              plane={map.plane}
              height={map.height}
              width={map.width}
              magnitude={range?.magnitude ?? 0}
              inputChannel={isInput ? neuron.index : undefined}
              displaySize={column.width}
            />
            {isInput && <span className="channel-letter">{"RGB"[neuron.index] ?? ""}</span>}
          </button>
        );
      })}
    </>
  );
}

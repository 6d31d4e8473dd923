/** The line above the overview that names the hovered neuron and its values. */
import type { OverviewLayout } from "../../math/layout";
import type { Scope, ScopeRange } from "../../math/scopes";
import type { ModelClass } from "../../model/graph";
import { formatValue, type NeuronMap } from "./planes";
import type { NeuronRef } from "./types";

interface NeuronInfoProps {
  hovered: NeuronRef | null;
  layout: OverviewLayout;
  maps: ReadonlyMap<string, NeuronMap[]>;
  ranges: ReadonlyMap<string, ScopeRange>;
  scope: Scope;
  probabilities: number[];
  classes: ModelClass[];
}

const SCOPE_WORDS: Record<Scope, string> = {
  unit: "this unit",
  module: "this block",
  global: "the whole network",
};

export function NeuronInfo({
  hovered,
  layout,
  maps,
  ranges,
  scope,
  probabilities,
  classes,
}: NeuronInfoProps) {
  const column = hovered ? layout.columns[hovered.column] : undefined;
  let text =
    "Hover over, tap or tab to a neuron (then use the arrow keys) to see where its inputs come from and its values.";
  if (hovered && column?.kind === "output") {
    const probability = probabilities[hovered.index] ?? 0;
    text = `Output “${classes[hovered.index]?.name ?? hovered.index}”: probability ${(probability * 100).toFixed(2)}%, computed from every value of the last ${layout.columns[hovered.column - 1]?.layer.name ?? ""} maps.`;
  } else if (hovered && column) {
    const map = maps.get(column.layer.name)?.[hovered.index];
    const range = ranges.get(column.layer.name);
    const shape = map ? `${map.height}×${map.width}` : "";
    const values = map
      ? `values from ${formatValue(map.extent.min)} to ${formatValue(map.extent.max)}`
      : "";
    text =
      column.kind === "input"
        ? `Input, ${"RGB"[hovered.index] ?? ""} channel (${shape}): ${values} (pixel brightness from 0 to 1).`
        : `${column.layer.name} (${column.layer.type}), neuron ${hovered.index + 1} (${shape}): ${values}; colours span ±${formatValue(range?.magnitude ?? 0)}, the range of ${SCOPE_WORDS[scope]}.`;
  }
  return (
    <p className="neuron-info" data-testid="neuron-info" aria-live="polite">
      {text}
    </p>
  );
}

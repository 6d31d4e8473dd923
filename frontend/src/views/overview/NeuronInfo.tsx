/**
 * The line above the overview that names the hovered neuron and its values (the overview
 * passes the one a view laid over it points at, too: see Overview.tsx).
 */
import type { OverviewLayout } from "../../math/layout";
import type { Scope, ScopeRange } from "../../math/scopes";
import type { Layer, ModelClass, ModelGraph } from "../../model/graph";
import { formatCount, parameterCount, receptiveFields } from "./layerFacts";
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
  /** For the layer's parameters and receptive field (the facts the tutorial prints too). */
  graph?: ModelGraph;
}

/** The output column shows the softmax; its parameters are the dense layer's before it. */
const denseOf = (layer: Layer) =>
  layer.type === "softmax" && layer.input !== null ? layer.input : layer.name;

/** " conv_1_2 learns 910 parameters (...). Each value sees a 5×5 patch of the picture." */
function layerFacts(graph: ModelGraph | undefined, layer: string): string {
  if (!graph) return "";
  const count = parameterCount(graph, layer);
  const field = receptiveFields(graph).get(layer);
  const learns = count
    ? ` ${layer} learns ${formatCount(count.total)} parameters (${count.formula}).`
    : "";
  const sees = field ? ` Each value sees a ${field}×${field} patch of the picture.` : "";
  return learns + sees;
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
  graph,
}: NeuronInfoProps) {
  const column = hovered ? layout.columns[hovered.column] : undefined;
  let text =
    "Hover over, tap or tab to a neuron (then use the arrow keys) to see where its inputs come from and its values.";
  if (hovered && column?.kind === "output") {
    const probability = probabilities[hovered.index] ?? 0;
    text =
      `Output “${classes[hovered.index]?.name ?? hovered.index}”: probability ${(probability * 100).toFixed(2)}%, computed from every value of the last ${layout.columns[hovered.column - 1]?.layer.name ?? ""} maps.` +
      layerFacts(graph, denseOf(column.layer));
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
        : `${column.layer.name} (${column.layer.type}), neuron ${hovered.index + 1} (${shape}): ${values}; colours span ±${formatValue(range?.magnitude ?? 0)}, the range of ${SCOPE_WORDS[scope]}.` +
          layerFacts(graph, column.layer.name);
  }
  return (
    <p className="neuron-info" data-testid="neuron-info" aria-live="polite">
      {text}
    </p>
  );
}

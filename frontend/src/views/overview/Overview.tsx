/**
 * The paper's main view: every layer a column, every neuron a heatmap of its activation
 * map, laid out from the layer graph. Hover (or focus, or tap) a neuron to light up the
 * edges it receives, the neurons they come from and its range of values.
 */
import { useEffect, useMemo, useState, type KeyboardEvent } from "react";
import {
  isArrowKey,
  layoutOverview,
  neighbour,
  sourcesOf,
  type OverviewLayout,
} from "../../math/layout";
import { scopeRanges, type Scope } from "../../math/scopes";
import type { ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { Edges } from "./Edges";
import { MapColumn } from "./MapColumn";
import { NeuronInfo } from "./NeuronInfo";
import { OutputColumn } from "./OutputColumn";
import { neuronMaps } from "./planes";
import { ScopeLegends } from "./ScopeLegends";
import type { NeuronSelection } from "../../url/state";
import type { NeuronRef } from "./types";

/** Neurons with a view of their own: the conv intermediate view, the ReLU and max-pool details. */
const SELECTABLE: ReadonlySet<string> = new Set(["conv", "relu", "max_pool"]);

/**
 * The columns that stay in focus while a neuron's view is open: its own and the column it
 * reads from (found by following `input` through layers without a column, e.g. flatten).
 */
function focusLayers(
  graph: ModelGraph,
  layout: OverviewLayout,
  selected: NeuronSelection | null,
): Set<string> | null {
  if (selected === null) return null;
  const columns = new Set(layout.columns.map((column) => column.layer.name));
  if (!columns.has(selected.layer)) return null;
  const focus = new Set([selected.layer]);
  let current = graph.layers.find((layer) => layer.name === selected.layer);
  while (current?.input) {
    const input = current.input;
    if (columns.has(input)) {
      focus.add(input);
      break;
    }
    current = graph.layers.find((layer) => layer.name === input);
  }
  return focus;
}

interface OverviewProps {
  graph: ModelGraph;
  activations: Activations;
  scope: Scope;
  width: number;
  height: number;
  onSelectNeuron: (layer: string, index: number) => void;
  selected: NeuronSelection | null;
  /** Whether a layer's neurons open their view (a lesson may hide it); all by default. */
  canOpen?: (layer: string) => boolean;
}

export function Overview({
  graph,
  activations,
  scope,
  width,
  height,
  onSelectNeuron,
  selected,
  canOpen = () => true,
}: OverviewProps) {
  const [hovered, setHovered] = useState<NeuronRef | null>(null);
  const layout = useMemo(() => layoutOverview(graph, { width, height }), [graph, width, height]);
  const ranges = useMemo(
    () => scopeRanges(graph.layers, activations.outputs, scope),
    [graph, activations, scope],
  );
  const maps = useMemo(() => {
    const byLayer = new Map<string, ReturnType<typeof neuronMaps>>();
    for (const column of layout.columns) {
      const tensor = activations.outputs.get(column.layer.name);
      if (tensor && column.kind !== "output") byLayer.set(column.layer.name, neuronMaps(tensor));
    }
    return byLayer;
  }, [layout, activations]);
  // Children's effects (the canvases' painting) run first: this marks a fully drawn overview,
  // which the performance check in tests/serving/test_spa_e2e.py reads.
  useEffect(() => {
    performance.mark("cnn101:overview-drawn", { detail: activations.bundle.imageDigest });
  }, [activations, scope, layout]);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const key = event.key;
    if (!hovered || !isArrowKey(key)) return;
    event.preventDefault();
    const next = neighbour(layout, hovered.column, hovered.index, key);
    const target = event.currentTarget.querySelector<HTMLElement>(
      `[data-column-index="${next.column}"][data-index="${next.index}"]`,
    );
    target?.focus();
  };
  const sources = hovered
    ? new Set(sourcesOf(layout, hovered.column, hovered.index))
    : new Set<number>();
  const focused = useMemo(() => focusLayers(graph, layout, selected), [graph, layout, selected]);

  return (
    <figure className="overview-figure">
      <NeuronInfo
        hovered={hovered}
        layout={layout}
        maps={maps}
        ranges={ranges}
        scope={scope}
        probabilities={activations.bundle.probabilities}
        classes={graph.classes}
      />
      <div
        className={`overview${focused ? " overview-focused" : ""}`}
        style={{ width, height }}
        data-testid="overview"
        onKeyDown={onKeyDown}
      >
        <svg className="overview-svg" width={width} height={height} aria-hidden="true">
          <Edges layout={layout} hovered={hovered} />
          {layout.columns.map((column) => (
            <text
              key={column.layer.name}
              className="column-title"
              data-column={column.layer.name}
              x={column.x + column.width / 2}
              y={14}
              textAnchor="middle"
            >
              <tspan x={column.x + column.width / 2}>
                {column.kind === "output" ? "output" : column.layer.name}
              </tspan>
              <tspan x={column.x + column.width / 2} dy={14} className="column-shape">
                {column.kind === "output"
                  ? `${graph.classes.length} classes`
                  : column.layer.output_shape.join("×")}
              </tspan>
            </text>
          ))}
        </svg>
        {layout.columns.map((column, columnIndex) =>
          column.kind === "output" ? (
            <OutputColumn
              key={column.layer.name}
              column={column}
              columnIndex={columnIndex}
              classes={graph.classes}
              probabilities={activations.bundle.probabilities}
              hovered={hovered}
              onHover={setHovered}
              onSelect={
                canOpen(column.layer.name)
                  ? (index) => onSelectNeuron(column.layer.name, index)
                  : undefined
              }
            />
          ) : (
            <MapColumn
              key={column.layer.name}
              column={column}
              columnIndex={columnIndex}
              maps={maps.get(column.layer.name) ?? []}
              range={ranges.get(column.layer.name)}
              nodeSize={layout.nodeSize}
              hovered={hovered}
              selected={selected?.layer === column.layer.name ? selected.index : null}
              highlighted={hovered?.column === columnIndex + 1 ? sources : new Set()}
              onHover={setHovered}
              faded={focused !== null && !focused.has(column.layer.name)}
              onSelect={
                SELECTABLE.has(column.layer.type) && canOpen(column.layer.name)
                  ? (index) => onSelectNeuron(column.layer.name, index)
                  : undefined
              }
            />
          ),
        )}
        <ScopeLegends layout={layout} ranges={ranges} />
      </div>
    </figure>
  );
}

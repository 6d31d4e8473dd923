/**
 * The overview's geometry, computed from the layer graph alone: one column per map layer
 * (plus the input's channels and the output's classes), sized to fit any depth, filter
 * count or input size, and the edges each neuron receives.
 */
import { isMapLayer, type Layer, type ModelGraph } from "../model/graph";

export type ColumnKind = "input" | "maps" | "output";

export interface NeuronBox {
  index: number;
  x: number;
  y: number;
}

export interface Column {
  kind: ColumnKind;
  layer: Layer;
  x: number;
  /** Width of the column's boxes: the heatmap side, or the label and bar width for outputs. */
  width: number;
  neurons: NeuronBox[];
  /** How each neuron depends on the previous column's neurons. */
  connection: "none" | "same-channel" | "all";
}

export interface OverviewLayout {
  width: number;
  height: number;
  nodeSize: number;
  headerHeight: number;
  columns: Column[];
}

/** How a column's neurons read the previous column's. */
export function connectionOf(layer: Layer): Column["connection"] {
  if (layer.type === "input") return "none";
  // ReLU and pooling act on each channel alone; conv and dense mix every channel.
  return layer.type === "relu" || layer.type === "max_pool" ? "same-channel" : "all";
}

export function overviewColumns(
  graph: ModelGraph,
): { kind: ColumnKind; layer: Layer; count: number }[] {
  const first = graph.layers[0];
  const last = graph.layers[graph.layers.length - 1];
  if (!first || first.type !== "input" || !last)
    throw new Error("The layer graph must start with the input.");
  const maps = graph.layers
    .filter(isMapLayer)
    .map((layer) => ({ kind: "maps" as const, layer, count: layer.output_shape[2] ?? 0 }));
  return [
    { kind: "input", layer: first, count: first.output_shape[2] ?? 0 },
    ...maps,
    { kind: "output", layer: last, count: graph.classes.length },
  ];
}

/** The neurons of the previous column that neuron `index` of column `columnIndex` reads. */
export function sourcesOf(layout: OverviewLayout, columnIndex: number, index: number): number[] {
  const column = layout.columns[columnIndex];
  const previous = layout.columns[columnIndex - 1];
  if (!column || !previous || column.connection === "none") return [];
  if (column.connection === "same-channel") return [index];
  return previous.neurons.map((neuron) => neuron.index);
}

/** A smooth horizontal link from the right edge of a source box to the left edge of a target. */
export function edgePath(fromX: number, fromY: number, toX: number, toY: number): string {
  const middle = (fromX + toX) / 2;
  return `M${fromX},${fromY}C${middle},${fromY} ${middle},${toY} ${toX},${toY}`;
}

const ARROW_KEYS = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"] as const;
export type ArrowKey = (typeof ARROW_KEYS)[number];

export function isArrowKey(key: string): key is ArrowKey {
  return (ARROW_KEYS as readonly string[]).includes(key);
}

/**
 * Keyboard movement between neurons: up and down within a column, left and right to the
 * neighbouring column at the same height (clamped, since columns hold different counts).
 */
export function neighbour(
  layout: OverviewLayout,
  column: number,
  index: number,
  key: ArrowKey,
): { column: number; index: number } {
  const columns = layout.columns.length;
  const nextColumn =
    key === "ArrowLeft"
      ? Math.max(0, column - 1)
      : key === "ArrowRight"
        ? Math.min(columns - 1, column + 1)
        : column;
  const count = layout.columns[nextColumn]?.neurons.length ?? 1;
  if (nextColumn !== column) {
    // Keep the vertical position: the same fraction of the column, not the same index.
    const fromCount = layout.columns[column]?.neurons.length ?? 1;
    const fraction = fromCount > 1 ? index / (fromCount - 1) : 0.5;
    return { column: nextColumn, index: Math.round(fraction * (count - 1)) };
  }
  const step = key === "ArrowUp" ? -1 : key === "ArrowDown" ? 1 : 0;
  return { column, index: Math.min(count - 1, Math.max(0, index + step)) };
}

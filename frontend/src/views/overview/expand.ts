/**
 * The overview opened in place around one neuron (as in CNN Explainer): the columns up to
 * the neuron's input slide left, the rest slide right, and a gap opens between the input
 * column and the neuron's column for its intermediate view. The input and the neuron keep
 * their size and rows (so the view's rows line up with the input's neurons); the other
 * columns shrink and close up, so everything still fits the overview's width. Around the
 * output column (the class view) the output stays at the right edge and only the map
 * columns before the gap shrink.
 */
import type { Column, OverviewLayout } from "../../math/layout";

/** The room the view gets between the input column and the neuron's column. */
export interface Gap {
  /** Columns (in layout order) of the neuron's input and of the neuron itself. */
  sourceColumn: number;
  targetColumn: number;
  left: number;
  right: number;
  /** Side of an intermediate map and of a kernel slice. */
  mapSize: number;
  kernelSize: number;
}

/** Edge room inside the gap: input → kernel, kernel → intermediate, intermediates → ⊕, ⊕ → neuron. */
export const GAP_EDGES = [18, 18, 40, 26] as const;
/** The ⊕ glyph with the bias value under it. */
export const SUM_WIDTH = 64;
/** Spacing between shrunk columns; their maps never go below MIN_CONTEXT. */
const SPACING = 10;
const MIN_CONTEXT = 10;
const MIN_MAP = 28;
const MIN_KERNEL = 20;

/** The gap's width for maps and kernel slices of these sides. */
export const gapWidth = (map: number, kernel: number) =>
  GAP_EDGES.reduce((sum, edge) => sum + edge, 0) + kernel + map + SUM_WIDTH;

/** What the view asks for besides its neuron's column. */
export interface GapRequest {
  /** The gap's width; by default the conv view's, as wide as the room allows. */
  width?: number;
  /** The column the neuron reads from (through layers without a column); by default the one before. */
  source?: number;
}

/**
 * The layout with a gap before column `target` for the view of one of its neurons; null when
 * the source column is not the neuron's input (nothing to open in place). The view
 * brings its own legends, so the overview's room for them (`footer`) goes.
 */
export function expandAround(
  layout: OverviewLayout,
  target: number,
  footer = 0,
  request: GapRequest = {},
): { layout: OverviewLayout; gap: Gap } | null {
  const columns = layout.columns;
  const output = columns[columns.length - 1];
  if (output && target === columns.length - 1 && request.source !== undefined)
    return expandBeforeOutput(layout, request.source, footer, request.width ?? 0);
  const source = request.source ?? target - 1;
  const targetColumn = columns[target];
  const sourceColumn = columns[source];
  if (!targetColumn || !sourceColumn || !output || targetColumn.kind !== "maps") return null;
  if (request.source === undefined && targetColumn.layer.input !== sourceColumn.layer.name)
    return null;
  if (source !== target - 1) return null;
  const node = layout.nodeSize;
  const left = columns[0]?.x ?? 0;
  const room = output.x - left - SPACING;
  const others = columns.length - 3; // map columns besides the input and the neuron's
  // The widest maps in the gap that leave the other columns at least MIN_CONTEXT.
  const fixed = 2 * node + SPACING + others * (MIN_CONTEXT + SPACING);
  let mapSize = node;
  let kernelSize = Math.max(MIN_KERNEL, Math.round(node * 0.55));
  while (
    request.width === undefined &&
    fixed + gapWidth(mapSize, kernelSize) > room &&
    mapSize > MIN_MAP
  ) {
    mapSize -= 1;
    kernelSize = Math.max(MIN_KERNEL, Math.min(kernelSize, Math.round(mapSize * 0.55)));
  }
  const gapRoom = request.width ?? gapWidth(mapSize, kernelSize);
  const free = room - gapRoom - 2 * node - SPACING - others * SPACING;
  const context = Math.max(MIN_CONTEXT, Math.min(node, Math.floor(free / Math.max(1, others))));
  // What is left over spreads evenly between the columns.
  const slack = Math.max(0, free - others * context);
  const spacing = SPACING + slack / Math.max(1, others + 1);
  let cursor = left;
  let gap: Gap = {
    sourceColumn: source,
    targetColumn: target,
    left: 0,
    right: 0,
    mapSize,
    kernelSize,
  };
  const placed = columns.map((column, index): Column => {
    if (column.kind === "output") return column;
    const focused = index === source || index === target;
    const size = focused ? node : context;
    const x = cursor;
    cursor += size;
    if (index === source) {
      gap = { ...gap, left: cursor, right: cursor + gapRoom };
      cursor += gapRoom;
    } else cursor += spacing;
    const shift = (node - size) / 2; // a shrunk map stays centred on its row
    return {
      ...column,
      x,
      width: size,
      neurons: column.neurons.map((neuron) => ({ ...neuron, x, y: neuron.y + shift })),
    };
  });
  return { layout: { ...layout, height: layout.height - footer, columns: placed }, gap };
}

/**
 * The gap between the last map column (`source`) and the output column: the output stays at
 * the right edge, the source keeps its size and rows, and the columns before it shrink to
 * leave the gap at least `wanted` px (it takes all the room there is).
 */
function expandBeforeOutput(
  layout: OverviewLayout,
  source: number,
  footer: number,
  wanted: number,
): { layout: OverviewLayout; gap: Gap } | null {
  const columns = layout.columns;
  const output = columns[columns.length - 1];
  const sourceColumn = columns[source];
  if (!output || !sourceColumn || sourceColumn.kind === "output") return null;
  const node = layout.nodeSize;
  const left = columns[0]?.x ?? 0;
  const others = source; // the columns before the source
  const free = output.x - SPACING - left - wanted - node - others * SPACING;
  const context = Math.max(MIN_CONTEXT, Math.min(node, Math.floor(free / Math.max(1, others))));
  let cursor = left;
  const placed = columns.map((column, index): Column => {
    if (column.kind === "output" || index > source) return column;
    const size = index === source ? node : context;
    const x = cursor;
    cursor += size + SPACING;
    const shift = (node - size) / 2;
    return {
      ...column,
      x,
      width: size,
      neurons: column.neurons.map((neuron) => ({ ...neuron, x, y: neuron.y + shift })),
    };
  });
  const gapLeft = cursor - SPACING;
  const gap: Gap = {
    sourceColumn: source,
    targetColumn: columns.length - 1,
    left: gapLeft,
    right: output.x,
    mapSize: node,
    kernelSize: 0,
  };
  return { layout: { ...layout, height: layout.height - footer, columns: placed }, gap };
}

/**
 * The overview's geometry for the width it is given: the maps grow with the width (no fixed
 * height), the column titles get the lines they need to wrap inside their own column, and
 * the columns start right under them. Built from the layer graph alone (overviewColumns),
 * so any depth, filter count or input size lays out the same way.
 */
import { connectionOf, overviewColumns, type Column, type OverviewLayout } from "../../math/layout";
import type { ModelGraph } from "../../model/graph";

/** One line of a column title (12.5 px name, 12 px shape). */
export const TITLE_LINE = 16;
/** Room under the columns for the colour legends (a bar and its ticks). */
export const FOOTER = 44;
/** The output column: bar, the longest class name in bold, the percentage. */
const OUTPUT_WIDTH = 184;
/** On a narrow page (a projector at 200 % zoom) its bar shrinks so the titles keep whole
 * words ("input", "conv" / "_1_1"). */
const NARROW_OUTPUT_WIDTH = 152;
const NARROW_PAGE = 800;
/** Room left of the input column for its channel letters (R, G, B). */
const LEFT = 16;
const GAP = 4;
const TITLE_GAP = 2;
const MIN_NODE = 16;
const MAX_NODE = 72;
/** Fitting the overview into a height (a view open under it) never shrinks maps below this:
 * past it the page scrolls instead (a short window, a zoomed page). */
export const MIN_FITTED_NODE = 26;
/** Share of a column's pitch a map takes; the rest is for the edges between columns. */
const NODE_SHARE = 0.66;
/** The titles' fonts (as in styles/base.css): the layer's name and its output shape. */
export const NAME_FONT = "600 12.5px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
export const SHAPE_FONT = "400 12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
/** Where a title may break: before an underscore ("max_pool" / "_1"), after a "×". */
export const NAME_BREAKS = /(?=_)/;
export const SHAPE_BREAKS = /(?<=×)/;

let measure: CanvasRenderingContext2D | null | undefined;

/** A text's width in a font: measured by a canvas, else (no canvas) a generous estimate. */
function textWidth(text: string, font: string): number {
  if (measure === undefined) {
    try {
      measure = document.createElement("canvas").getContext("2d");
    } catch {
      measure = null;
    }
  }
  if (measure) {
    measure.font = font;
    return measure.measureText(text).width;
  }
  return text.length * 8.5;
}

/**
 * The lines a title takes in a column `room` px wide, broken only where `breaks` allows
 * (greedily, as the browser does); a piece too long for a line takes the lines it needs.
 */
export function titleLines(
  text: string,
  room: number,
  font = NAME_FONT,
  breaks: RegExp = NAME_BREAKS,
): number {
  const slack = 2; // rounding, and a little room between neighbours
  let lines = 0;
  let used = Infinity;
  for (const piece of text.split(breaks)) {
    const width = textWidth(piece, font);
    if (used + width + slack <= room) {
      used += width;
    } else {
      lines += Math.max(1, Math.ceil((width + slack) / room));
      used = width;
    }
  }
  return Math.max(1, lines);
}

/** A height the overview should keep within, `footer` px of it for what goes under the columns. */
export interface HeightFit {
  height: number;
  footer: number;
}

export function fitOverview(
  graph: ModelGraph,
  width: number,
  fit?: HeightFit,
): { layout: OverviewLayout; titleRoom: number } {
  const specs = overviewColumns(graph);
  const mapColumns = specs.length - 1;
  const tallest = Math.max(...specs.map((spec) => spec.count));
  const outputWidth = width < NARROW_PAGE ? NARROW_OUTPUT_WIDTH : OUTPUT_WIDTH;
  const pitchX = (width - LEFT - outputWidth) / mapColumns;
  const widthNode = Math.round(Math.min(MAX_NODE, Math.max(MIN_NODE, pitchX * NODE_SHARE)));
  // A title may use its column's whole pitch but for a hair between neighbours.
  const room = pitchX - TITLE_GAP;
  const nameLines = Math.max(
    1,
    ...specs.map((spec) => (spec.kind === "output" ? 1 : titleLines(spec.layer.name, room))),
  );
  const shapeLines = Math.max(
    1,
    ...specs.map((spec) =>
      spec.kind === "output"
        ? 1
        : titleLines(spec.layer.output_shape.join("×"), room, SHAPE_FONT, SHAPE_BREAKS),
    ),
  );
  const header = (nameLines + shapeLines) * TITLE_LINE + 8;
  // The titles depend on the width only, so the rows left for the maps follow from the height.
  const heightNode = fit
    ? Math.floor((fit.height - header - fit.footer + GAP) / tallest) - GAP
    : Infinity;
  const nodeSize = Math.min(widthNode, Math.max(MIN_FITTED_NODE, heightNode));
  const rowHeight = nodeSize + GAP;
  const body = tallest * rowHeight - GAP;
  const height = header + body + FOOTER;
  const columns = specs.map((spec, position): Column => {
    const isOutput = spec.kind === "output";
    const columnWidth = isOutput ? outputWidth : nodeSize;
    const x = isOutput ? width - outputWidth : LEFT + position * pitchX + (pitchX - nodeSize) / 2;
    const rows = isOutput ? Math.min(rowHeight, body / Math.max(1, spec.count)) : rowHeight;
    const top = header + (body - (spec.count * rows - (isOutput ? 0 : GAP))) / 2;
    return {
      kind: spec.kind,
      layer: spec.layer,
      x,
      width: columnWidth,
      neurons: Array.from({ length: spec.count }, (_, index) => ({
        index,
        x,
        y: top + index * rows,
      })),
      connection: isOutput ? "all" : connectionOf(spec.layer),
    };
  });
  const layout: OverviewLayout = { width, height, nodeSize, headerHeight: header, columns };
  return { layout, titleRoom: room };
}

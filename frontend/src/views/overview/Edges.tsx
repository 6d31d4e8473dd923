/** Edges between neighbouring columns in SVG: faint for all, bold for the hovered neuron's. */
import { edgePath, sourcesOf, type OverviewLayout } from "../../math/layout";
import type { NeuronRef } from "./types";

interface EdgesProps {
  layout: OverviewLayout;
  hovered: NeuronRef | null;
  /** A column whose incoming edges are not drawn (a view opened in place before it). */
  hidden?: number | null;
}

function anchorY(layout: OverviewLayout, columnIndex: number, y: number): number {
  const column = layout.columns[columnIndex];
  return column?.kind === "output" ? y + 9 : y + (column?.width ?? layout.nodeSize) / 2;
}

export function Edges({ layout, hovered, hidden = null }: EdgesProps) {
  const faint: string[] = [];
  const bold: string[] = [];
  layout.columns.forEach((column, columnIndex) => {
    const previous = layout.columns[columnIndex - 1];
    if (!previous || columnIndex === hidden) return;
    for (const target of column.neurons) {
      const isHovered = hovered?.column === columnIndex && hovered.index === target.index;
      for (const source of sourcesOf(layout, columnIndex, target.index)) {
        const from = previous.neurons[source];
        if (!from) continue;
        const path = edgePath(
          from.x + previous.width,
          anchorY(layout, columnIndex - 1, from.y),
          target.x,
          anchorY(layout, columnIndex, target.y),
        );
        (isHovered ? bold : faint).push(path);
      }
    }
  });
  return (
    <g className="edges">
      <path className="edge" d={faint.join("")} />
      {bold.length > 0 && (
        <path
          className="edge edge-active"
          d={bold.join("")}
          data-testid="active-edges"
          data-count={bold.length}
        />
      )}
    </g>
  );
}

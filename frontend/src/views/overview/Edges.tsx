/**
 * Edges between neighbouring columns in SVG: faint for all, bold for the hovered neuron's.
 * The faint edges are one path per column, its geometry given as the CSS `d` property, so
 * they slide with the maps (a CSS transition on `d`) when a view opens in place or closes;
 * the path keeps its commands whatever the layout, which is what lets the browser interpolate.
 */
import { useMemo } from "react";
import { edgePath, sourcesOf, type OverviewLayout } from "../../math/layout";
import type { NeuronRef } from "./types";

interface EdgesProps {
  layout: OverviewLayout;
  hovered: NeuronRef | null;
  /** A column whose incoming edges fade out (a view opened in place before it). */
  hidden?: number | null;
}

function anchorY(layout: OverviewLayout, columnIndex: number, y: number): number {
  const column = layout.columns[columnIndex];
  return column?.kind === "output" ? y + 9 : y + (column?.width ?? layout.nodeSize) / 2;
}

/** The edges one neuron receives, as SVG path data. */
function incomingEdges(layout: OverviewLayout, columnIndex: number, index: number): string[] {
  const previous = layout.columns[columnIndex - 1];
  const target = layout.columns[columnIndex]?.neurons.find((neuron) => neuron.index === index);
  if (!previous || !target) return [];
  return sourcesOf(layout, columnIndex, index).flatMap((source) => {
    const from = previous.neurons[source];
    return from
      ? [
          edgePath(
            from.x + previous.width,
            anchorY(layout, columnIndex - 1, from.y),
            target.x,
            anchorY(layout, columnIndex, target.y),
          ),
        ]
      : [];
  });
}

export function Edges({ layout, hovered, hidden = null }: EdgesProps) {
  // Every column's incoming edges, also the hovered neuron's (its bold path covers them).
  const faint = useMemo(
    () =>
      layout.columns.flatMap((column, columnIndex) => {
        const data = column.neurons
          .flatMap((neuron) => incomingEdges(layout, columnIndex, neuron.index))
          .join("");
        return data ? [{ layer: column.layer.name, columnIndex, data }] : [];
      }),
    [layout],
  );
  const bold =
    hovered && hovered.column !== hidden
      ? incomingEdges(layout, hovered.column, hovered.index)
      : [];
  return (
    <g className="edges">
      {faint.map(({ layer, columnIndex, data }) => (
        <path
          key={layer}
          className={columnIndex === hidden ? "edge edge-hidden" : "edge"}
          style={{ d: `path("${data}")` }}
          data-edges-into={layer}
        />
      ))}
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

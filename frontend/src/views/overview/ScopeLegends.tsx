/** One colour legend per scope group, under the columns it covers, from the current image's ranges. */
import { paletteStops } from "../../math/colour";
import type { OverviewLayout } from "../../math/layout";
import type { ScopeRange } from "../../math/scopes";
import { formatValue } from "./planes";

interface ScopeLegendsProps {
  layout: OverviewLayout;
  ranges: ReadonlyMap<string, ScopeRange>;
}

export function ScopeLegends({ layout, ranges }: ScopeLegendsProps) {
  const spans = new Map<ScopeRange, { left: number; right: number }>();
  for (const column of layout.columns) {
    const range = ranges.get(column.layer.name);
    if (!range || column.kind !== "maps") continue;
    const span = spans.get(range);
    spans.set(range, {
      left: Math.min(span?.left ?? Infinity, column.x),
      right: Math.max(span?.right ?? -Infinity, column.x + column.width),
    });
  }
  const top = layout.height - 30;
  const stops = paletteStops();
  // Under a single narrow column three labels collide: show the range as ±m instead.
  const NARROW = 110;
  return (
    <>
      {[...spans].map(([range, span]) => (
        <div
          key={range.group}
          className="legend"
          style={{ left: span.left, top, width: Math.max(span.right - span.left, 48) }}
          data-testid="scope-legend"
          data-magnitude={range.magnitude}
          title={`Colour range of ${range.layers.join(", ")}`}
        >
          <div
            className="legend-bar"
            style={{
              background: `linear-gradient(to right, ${stops.negative}, ${stops.zero}, ${stops.positive})`,
            }}
          />
          {span.right - span.left < NARROW ? (
            <div className="legend-ticks legend-ticks-narrow">±{formatValue(range.magnitude)}</div>
          ) : (
            <div className="legend-ticks">
              <span>{formatValue(-range.magnitude)}</span>
              <span>0</span>
              <span>{formatValue(range.magnitude)}</span>
            </div>
          )}
        </div>
      ))}
    </>
  );
}

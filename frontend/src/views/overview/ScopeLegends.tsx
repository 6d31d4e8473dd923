/**
 * The overview's colour legends: one per scope group, under the columns it covers, from the
 * current image's ranges; and the input channels' (0 to 1) under the input column.
 */
import { ChannelLegend, DivergingLegend } from "../../components/Legend";
import type { OverviewLayout } from "../../math/layout";
import type { ScopeRange } from "../../math/scopes";

interface ScopeLegendsProps {
  layout: OverviewLayout;
  ranges: ReadonlyMap<string, ScopeRange>;
}

/** Under a single narrow column three labels collide: the range is shown as ±m instead. */
const NARROW = 110;

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
  const top = layout.height - 34;
  const input = layout.columns.find((column) => column.kind === "input");
  return (
    <>
      {input && (
        <ChannelLegend
          channels={Array.from({ length: input.layer.output_shape[2] ?? 0 }, (_, i) => i)}
          className="legend-placed"
          style={{ left: input.x - 8, top: top - 6 }}
          width={Math.max(input.width + 16, 48)}
          name="the input channels (pixel brightness)"
          testId="input-legend"
          title="Pixel brightness of each input channel, from 0 (black) to 1 (full colour)"
        />
      )}
      {[...spans].map(([range, span]) => (
        <DivergingLegend
          key={range.group}
          magnitude={range.magnitude}
          className="legend-placed"
          style={{ left: span.left, top }}
          width={Math.max(span.right - span.left, 48)}
          compact={span.right - span.left < NARROW}
          name={range.layers.join(", ")}
          testId="scope-legend"
          title={`Colour range of ${range.layers.join(", ")}`}
        />
      ))}
    </>
  );
}

/**
 * The one colour legend of every view that draws a heatmap: a gradient bar (or one bar per
 * input channel) with ticks at min, 0 and max, named for screen readers.
 */
import type { CSSProperties, ReactNode } from "react";
import { formatValue } from "../views/overview/planes";
import { channelGradient, divergingGradient, legendTicks, linearGradient } from "./legend";

/** A tick's number: whole numbers (0 and 1 of the input) without decimals. */
function tickText(value: number): string {
  return Number.isInteger(value) ? formatValue(value).replace(/\.0+$/, "") : formatValue(value);
}

interface LegendProps {
  min: number;
  max: number;
  /** One bar per gradient, each a list of colours from min to max. */
  gradients: readonly (readonly string[])[];
  /** What the colours are of, shown above the bar ("output", "kernels"). */
  label?: ReactNode;
  /** Spoken name of what the colours are of, when `label` is not plain text. */
  name?: string;
  /** Width of the bar in px; by default the width of the legend's container. */
  width?: number;
  /** Too narrow for three ticks: one "±m" (or "min – max") label under the bar. */
  compact?: boolean;
  className?: string;
  style?: CSSProperties;
  testId?: string;
  title?: string;
  /** Read by the tests: the symmetric range a diverging legend shows. */
  magnitude?: number;
}

export function Legend({
  min,
  max,
  gradients,
  label,
  name,
  width,
  compact = false,
  className,
  style,
  testId = "legend",
  title,
  magnitude,
}: LegendProps) {
  const ticks = legendTicks(min, max);
  const spoken = name ?? (typeof label === "string" ? label : undefined);
  const symmetric = min === -max && max > 0;
  return (
    <div
      className={`legend${gradients.length > 1 ? " legend-multi" : ""}${className ? ` ${className}` : ""}`}
      style={{ ...style, ...(width !== undefined ? { width } : {}) }}
      role="img"
      aria-label={`Colour scale${spoken ? ` of ${spoken}` : ""}: from ${formatValue(min)} to ${formatValue(max)}`}
      data-testid={testId}
      data-min={min}
      data-max={max}
      data-magnitude={magnitude}
      title={title}
    >
      {label !== undefined && <div className="legend-label">{label}</div>}
      {gradients.map((colours, i) => (
        <div
          key={i}
          className="legend-bar"
          style={{ background: linearGradient(colours) }}
          data-testid="legend-bar"
        />
      ))}
      {compact ? (
        <div className="legend-ticks legend-ticks-narrow">
          {symmetric ? `±${formatValue(max)}` : `${formatValue(min)} – ${formatValue(max)}`}
        </div>
      ) : (
        <div className="legend-ticks">
          {ticks.map((tick) => (
            <span
              key={tick.at}
              className="legend-tick"
              style={{ left: `${tick.at * 100}%`, transform: `translateX(-${tick.at * 100}%)` }}
              data-testid="legend-tick"
            >
              {tickText(tick.value)}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}

/** The legend of a diverging heatmap whose colours span ±magnitude (zero white). */
export function DivergingLegend({
  magnitude,
  ...rest
}: Omit<LegendProps, "min" | "max" | "gradients" | "magnitude"> & { magnitude: number }) {
  const m = magnitude > 0 ? magnitude : 0;
  return (
    <Legend {...rest} min={-m} max={m} gradients={[divergingGradient()]} magnitude={magnitude} />
  );
}

/** The legend of input channels (0 to 1, black to the channel's colour), one bar each. */
export function ChannelLegend({
  channels,
  ...rest
}: Omit<LegendProps, "min" | "max" | "gradients" | "magnitude"> & { channels: readonly number[] }) {
  return (
    <Legend
      {...rest}
      min={0}
      max={1}
      gradients={channels.map((channel) => channelGradient(channel))}
    />
  );
}

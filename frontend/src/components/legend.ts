/** The arithmetic of a colour legend: its ticks and its gradient, without React (legend.test.ts). */
import { currentInputStyle, paletteStops } from "../math/colour";

export interface Tick {
  value: number;
  /** Position along the bar, 0 (left) to 1 (right). */
  at: number;
}

/**
 * The ticks of a legend from `min` to `max`: min, 0 (when it lies strictly between them)
 * and max. An empty range (min = max) gives one tick.
 */
export function legendTicks(min: number, max: number): Tick[] {
  if (!(max > min)) return [{ value: min, at: 0.5 }];
  const ticks: Tick[] = [{ value: min, at: 0 }];
  if (min < 0 && max > 0) ticks.push({ value: 0, at: -min / (max - min) });
  ticks.push({ value: max, at: 1 });
  return ticks;
}

/** The diverging palette's gradient: negative, white at zero, positive. */
export function divergingGradient(): string[] {
  const stops = paletteStops();
  return [stops.negative, stops.zero, stops.positive];
}

/** An input channel's gradient: black to the channel's own colour (as the heatmaps draw it). */
export function channelGradient(channel: number, style = currentInputStyle()): string[] {
  const colour =
    style === "grey"
      ? "rgb(255, 255, 255)"
      : (["rgb(255, 0, 0)", "rgb(0, 255, 0)", "rgb(0, 0, 255)"][channel] ?? "white");
  return ["rgb(0, 0, 0)", colour];
}

/** CSS for a bar of evenly spaced colours from left to right. */
export function linearGradient(colours: readonly string[]): string {
  return `linear-gradient(to right, ${colours.join(", ")})`;
}

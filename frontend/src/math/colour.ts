/**
 * The overview's colours. Activations use a diverging red–white–blue scale whose range is
 * symmetric around zero, so zero is exactly white and equal magnitudes look equally strong.
 */
import { piecewise, interpolateRgb } from "d3-interpolate";
import { scaleDiverging } from "d3-scale";
import type { Extent } from "./tensor";

export const NEGATIVE = "rgb(202, 0, 32)";
export const ZERO = "rgb(255, 255, 255)";
export const POSITIVE = "rgb(5, 113, 176)";

/** t in [0, 1] → colour, white exactly at t = 0.5 (the middle of the three stops). */
const interpolateDiverging = piecewise(interpolateRgb, [NEGATIVE, ZERO, POSITIVE]) as (t: number) => string;

/** A symmetric domain [-m, 0, m] covering the extent (m = 0 for an all-zero extent). */
export function symmetricDomain(extent: Extent): [number, number, number] {
  const magnitude = Math.max(Math.abs(extent.min), Math.abs(extent.max));
  return [-magnitude, 0, magnitude];
}

/** value → CSS colour for a symmetric range of `magnitude`. */
export function divergingScale(magnitude: number): (value: number) => string {
  const m = magnitude > 0 ? magnitude : 1;
  return scaleDiverging<string>(interpolateDiverging).domain([-m, 0, m]).clamp(true);
}

/** An odd-length lookup table of RGB bytes, its middle entry exactly white, for canvases. */
export const RAMP_STEPS = 255;

export function rampTable(steps = RAMP_STEPS): Uint8ClampedArray {
  const table = new Uint8ClampedArray(steps * 3);
  for (let i = 0; i < steps; i += 1) {
    const [r = 0, g = 0, b = 0] = (interpolateDiverging(i / (steps - 1)).match(/\d+/g) ?? []).map(Number);
    table.set([r, g, b], i * 3);
  }
  return table;
}

/** Which ramp entry a value takes: zero always lands on the middle (white) one. */
export function rampIndex(value: number, magnitude: number, steps = RAMP_STEPS): number {
  const half = (steps - 1) / 2;
  if (!(magnitude > 0)) return half;
  const t = Math.max(-1, Math.min(1, value / magnitude));
  return Math.round(half + t * half);
}

/** Fills RGBA pixels of an H x W plane with the diverging ramp. */
export function paintPlane(plane: Float32Array, magnitude: number, table: Uint8ClampedArray, out: Uint8ClampedArray): void {
  for (let i = 0; i < plane.length; i += 1) {
    const entry = rampIndex(plane[i] ?? 0, magnitude) * 3;
    out[i * 4] = table[entry] ?? 0;
    out[i * 4 + 1] = table[entry + 1] ?? 0;
    out[i * 4 + 2] = table[entry + 2] ?? 0;
    out[i * 4 + 3] = 255;
  }
}

/** Input channels are intensities in [0, 1]: black to the channel's own colour. */
export function paintInputChannel(plane: Float32Array, channel: number, out: Uint8ClampedArray): void {
  for (let i = 0; i < plane.length; i += 1) {
    const level = Math.round(Math.max(0, Math.min(1, plane[i] ?? 0)) * 255);
    out[i * 4] = channel === 0 ? level : 0;
    out[i * 4 + 1] = channel === 1 ? level : 0;
    out[i * 4 + 2] = channel === 2 ? level : 0;
    out[i * 4 + 3] = 255;
  }
}

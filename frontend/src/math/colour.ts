/**
 * The overview's colours. Activations use a diverging scale (red–white–blue, or the
 * colour-blind-safe orange–white–purple) whose range is symmetric around zero, so zero is
 * exactly white and equal magnitudes look equally strong.
 */
import type { Extent } from "./tensor";

export const NEGATIVE = "rgb(202, 0, 32)";
export const ZERO = "rgb(255, 255, 255)";
export const POSITIVE = "rgb(5, 113, 176)";

/**
 * The two palettes a student can choose. Red–blue is the paper's; orange–purple
 * (ColorBrewer PuOr) stays distinguishable with red–green colour blindness, where red and
 * blue's darker shades can look alike.
 */
export const PALETTES = {
  "red-blue": {
    name: "Red – blue",
    negative: NEGATIVE,
    zero: ZERO,
    positive: POSITIVE,
    // The window, the selected map and the keyboard's neuron: the paper's amber.
    highlight: "rgb(245, 158, 11)",
    halo: "transparent",
  },
  "orange-purple": {
    name: "Orange – purple (colour-blind safe)",
    negative: "rgb(230, 97, 1)",
    zero: ZERO,
    positive: "rgb(94, 60, 153)",
    // Amber vanishes on the orange ramp: a dark ring with a white halo stands out (>= 3:1,
    // one or the other) on every colour of the ramp (colour.test.ts).
    highlight: "rgb(31, 35, 40)",
    halo: "rgb(255, 255, 255)",
  },
} as const;

export type PaletteName = keyof typeof PALETTES;
export const PALETTE_NAMES = Object.keys(PALETTES) as PaletteName[];
export type Palette = (typeof PALETTES)[PaletteName];

export function isPaletteName(value: unknown): value is PaletteName {
  return typeof value === "string" && Object.hasOwn(PALETTES, value);
}

/**
 * The palette every heatmap, legend and edge uses. One module-level choice (set by
 * components/palette.ts, which persists it and redraws the views) so the painting functions
 * keep their signatures.
 */
let current: PaletteName = "red-blue";

export function setPalette(name: PaletteName): void {
  current = name;
}

export function currentPalette(): PaletteName {
  return current;
}

/**
 * How the input's channels are drawn: black to full red, green and blue ("colour"), or
 * black to white ("grey", the paper's option, easier to read than saturated primaries).
 * A module-level choice like the palette (set by components/inputStyle.ts).
 */
export type InputStyle = "colour" | "grey";
let inputStyle: InputStyle = "colour";

export function isInputStyle(value: unknown): value is InputStyle {
  return value === "colour" || value === "grey";
}

export function setInputStyle(style: InputStyle): void {
  inputStyle = style;
}

export function currentInputStyle(): InputStyle {
  return inputStyle;
}

/** WCAG 2 relative luminance of an "rgb(r, g, b)" colour. */
export function luminance(colour: string): number {
  const [r = 0, g = 0, b = 0] = (colour.match(/\d+/g) ?? []).map((value) => {
    const c = Number(value) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two "rgb(r, g, b)" colours, 1 to 21. */
export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((light ?? 0) + 0.05) / ((dark ?? 0) + 0.05);
}

/** The current palette's negative, zero and positive colours (for legends and swatches). */
export function paletteStops(name: PaletteName = current): Palette {
  return PALETTES[name];
}

/** The channels of an "rgb(r, g, b)" colour. */
function channelsOf(colour: string): number[] {
  return (colour.match(/\d+/g) ?? []).map(Number);
}

/**
 * t in [0, 1] → colour, white exactly at t = 0.5 (the middle of the three stops): linear in
 * RGB between neighbouring stops, rounded, as d3's piecewise interpolateRgb (colour.test.ts
 * compares the two). Written out because d3-scale, d3-interpolate and d3-color were about
 * 10 KB gzipped of the explorer's first load.
 */
function interpolatorOf(name: PaletteName): (t: number) => string {
  const { negative, zero, positive } = PALETTES[name];
  const stops = [negative, zero, positive].map(channelsOf);
  const segments = stops.length - 1;
  return (t) => {
    const position = t * segments;
    const segment = Math.max(0, Math.min(segments - 1, Math.floor(position)));
    const from = stops[segment] ?? [];
    const to = stops[segment + 1] ?? [];
    const along = position - segment;
    const channels = from.map((start, c) => {
      const level = Math.round(start + along * ((to[c] ?? start) - start));
      return Math.max(0, Math.min(255, level || 0));
    });
    return `rgb(${channels.join(", ")})`;
  };
}

const interpolators = new Map(PALETTE_NAMES.map((name) => [name, interpolatorOf(name)]));
const interpolateDiverging = (t: number, name: PaletteName = current): string =>
  (interpolators.get(name) ?? interpolatorOf(name))(t);

/** A symmetric domain [-m, 0, m] covering the extent (m = 0 for an all-zero extent). */
export function symmetricDomain(extent: Extent): [number, number, number] {
  const magnitude = Math.max(Math.abs(extent.min), Math.abs(extent.max));
  return [-magnitude, 0, magnitude];
}

/** value → CSS colour for a symmetric range of `magnitude`, clamped to it (NaN: white). */
export function divergingScale(
  magnitude: number,
  palette: PaletteName = current,
): (value: number) => string {
  const m = magnitude > 0 ? magnitude : 1;
  return (value) => {
    const t = 0.5 + value * (0.5 / m);
    return interpolateDiverging(Number.isNaN(t) ? 0.5 : Math.max(0, Math.min(1, t)), palette);
  };
}

/** An odd-length lookup table of RGB bytes, its middle entry exactly white, for canvases. */
export const RAMP_STEPS = 255;

const tables = new Map<string, Uint8ClampedArray>();

/** The palette's lookup table, built once per palette and size (callers must not write to it). */
export function rampTable(steps = RAMP_STEPS, palette: PaletteName = current): Uint8ClampedArray {
  const key = `${palette}/${steps}`;
  const kept = tables.get(key);
  if (kept) return kept;
  const table = new Uint8ClampedArray(steps * 3);
  for (let i = 0; i < steps; i += 1) {
    const [r = 0, g = 0, b = 0] = (
      interpolateDiverging(i / (steps - 1), palette).match(/\d+/g) ?? []
    ).map(Number);
    table.set([r, g, b], i * 3);
  }
  tables.set(key, table);
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
export function paintPlane(
  plane: Float32Array,
  magnitude: number,
  table: Uint8ClampedArray,
  out: Uint8ClampedArray,
): void {
  for (let i = 0; i < plane.length; i += 1) {
    const entry = rampIndex(plane[i] ?? 0, magnitude) * 3;
    out[i * 4] = table[entry] ?? 0;
    out[i * 4 + 1] = table[entry + 1] ?? 0;
    out[i * 4 + 2] = table[entry + 2] ?? 0;
    out[i * 4 + 3] = 255;
  }
}

/** Input channels are intensities in [0, 1]: black to the channel's own colour. */
export function paintInputChannel(
  plane: Float32Array,
  channel: number,
  out: Uint8ClampedArray,
  style: InputStyle = inputStyle,
): void {
  const grey = style === "grey";
  for (let i = 0; i < plane.length; i += 1) {
    const level = Math.round(Math.max(0, Math.min(1, plane[i] ?? 0)) * 255);
    out[i * 4] = grey || channel === 0 ? level : 0;
    out[i * 4 + 1] = grey || channel === 1 ? level : 0;
    out[i * 4 + 2] = grey || channel === 2 ? level : 0;
    out[i * 4 + 3] = 255;
  }
}

/**
 * The classifier's arithmetic, for the flatten and softmax views: where each flattened
 * element comes from, one class's logit as Σ flatten × weight + bias, and the softmax terms
 * exp(logitᵢ) / Σ exp(logitⱼ). Pure functions, no UI.
 */

/** Source of flattened element `index` of an H x W x C tensor (row-major, channel last). */
export function flattenSource(
  index: number,
  shape: readonly number[],
): { y: number; x: number; channel: number } {
  const [, width = 1, channels = 1] = shape;
  const channel = index % channels;
  const pixel = Math.floor(index / channels);
  return { y: Math.floor(pixel / width), x: pixel % width, channel };
}

/** Flattened index of pixel (y, x) of `channel`: the inverse of flattenSource. */
export function flattenIndex(
  y: number,
  x: number,
  channel: number,
  shape: readonly number[],
): number {
  const [, width = 1, channels = 1] = shape;
  return (y * width + x) * channels + channel;
}

/** Column `unit` of a dense kernel stored [inputs, units] row-major: one weight per input. */
export function denseColumn(kernel: Float32Array, units: number, unit: number): Float32Array {
  const inputs = Math.floor(kernel.length / units);
  const column = new Float32Array(inputs);
  for (let i = 0; i < inputs; i += 1) column[i] = kernel[i * units + unit] ?? 0;
  return column;
}

export interface LogitTerms {
  products: number[];
  sum: number;
  bias: number;
  logit: number;
}

/** One class's logit: each flattened value times its weight, summed, plus the bias. */
export function logitTerms(
  flat: ArrayLike<number>,
  weights: ArrayLike<number>,
  bias: number,
): LogitTerms {
  const products = Array.from(
    { length: flat.length },
    (_, i) => (flat[i] ?? 0) * (weights[i] ?? 0),
  );
  const sum = products.reduce((total, value) => total + value, 0);
  return { products, sum, bias, logit: sum + bias };
}

export interface SoftmaxTerms {
  exps: number[];
  total: number;
  probability: number;
}

/**
 * exp of every logit, their sum and class `index`'s share. Computed with the largest logit
 * subtracted (no overflow), then scaled back so the printed exp(logit) values are the real ones.
 */
export function softmaxTerms(logits: ArrayLike<number>, index: number): SoftmaxTerms {
  const values = Array.from(logits);
  const top = Math.max(...values);
  const shifted = values.map((value) => Math.exp(value - top));
  const shiftedTotal = shifted.reduce((sum, value) => sum + value, 0);
  const scale = Math.exp(top);
  const exps = shifted.map((value) => value * scale);
  return { exps, total: shiftedTotal * scale, probability: (shifted[index] ?? 0) / shiftedTotal };
}

/** A number with `digits` significant digits, and whether rounding changed it. */
export function rounded(value: number, digits: number): { text: string; hidden: boolean } {
  const text =
    value === 0
      ? "0"
      : Math.abs(value) >= 1e5 || Math.abs(value) < 1e-4
        ? value.toExponential(digits - 1)
        : value.toPrecision(digits);
  return { text: text.replace("-", "−"), hidden: Number(text) !== value };
}

/** The keys that move the traced flattened element, and how. */
export type TraceStep = "previous" | "next" | "previous channel" | "next channel";

/**
 * The flattened element one step from `index`, walking the way the flatten view groups
 * them: previous/next pixel of the same channel (row by row, wrapping around the map), or
 * the same pixel of the previous/next channel (wrapping around the channels).
 */
export function stepTrace(index: number, step: TraceStep, shape: readonly number[]): number {
  const [height = 1, width = 1, channels = 1] = shape;
  const pixels = height * width;
  const { y, x, channel } = flattenSource(index, shape);
  const pixel = y * width + x;
  if (step === "previous channel" || step === "next channel") {
    const moved = (channel + (step === "next channel" ? 1 : -1) + channels) % channels;
    return pixel * channels + moved;
  }
  const moved = (pixel + (step === "next" ? 1 : -1) + pixels) % pixels;
  return moved * channels + channel;
}

/** The arithmetic the detail views and the playground show, on one window at a time. */
import type { Tensor } from "./tensor";

/** A conv kernel `[kh, kw, in, out]` as weights.bin lays it out. */
export interface ConvKernel {
  shape: [number, number, number, number];
  data: Float32Array;
}

export interface WindowProducts {
  /** input value, kernel weight and their product for each (dy, dx, channel) of the window. */
  inputs: Float32Array;
  weights: Float32Array;
  products: Float32Array;
  /** Sum of the products in float64 (what the views print), before the bias. */
  sum: number;
}

/** One output position of a valid convolution of `input` channel(s) with filter `out`. */
export function convWindow(
  input: Tensor,
  kernel: ConvKernel,
  out: number,
  y: number,
  x: number,
  stride: readonly [number, number] = [1, 1],
  channels: readonly number[] | null = null,
): WindowProducts {
  const [, inWidth = 0, inChannels = 0] = input.shape;
  const [kh, kw, kernelIn, kernelOut] = kernel.shape;
  if (kernelIn !== inChannels) throw new Error(`kernel expects ${kernelIn} channels, input has ${inChannels}`);
  const picked = channels ?? Array.from({ length: inChannels }, (_, c) => c);
  const count = kh * kw * picked.length;
  const result: WindowProducts = {
    inputs: new Float32Array(count),
    weights: new Float32Array(count),
    products: new Float32Array(count),
    sum: 0,
  };
  let i = 0;
  for (let dy = 0; dy < kh; dy += 1) {
    for (let dx = 0; dx < kw; dx += 1) {
      for (const c of picked) {
        const value = input.data[((y * stride[0] + dy) * inWidth + (x * stride[1] + dx)) * inChannels + c] ?? 0;
        const weight = kernel.data[((dy * kw + dx) * kernelIn + c) * kernelOut + out] ?? 0;
        result.inputs[i] = value;
        result.weights[i] = weight;
        result.products[i] = value * weight;
        result.sum += value * weight;
        i += 1;
      }
    }
  }
  return result;
}

/** The max-pool window at output (y, x), channel c: its values and their maximum. */
export function maxPoolWindow(
  input: Tensor,
  channel: number,
  y: number,
  x: number,
  size: readonly [number, number],
  stride: readonly [number, number],
): { values: Float32Array; max: number } {
  const [, inWidth = 0, channels = 0] = input.shape;
  const values = new Float32Array(size[0] * size[1]);
  let max = -Infinity;
  for (let dy = 0; dy < size[0]; dy += 1) {
    for (let dx = 0; dx < size[1]; dx += 1) {
      const value = input.data[((y * stride[0] + dy) * inWidth + (x * stride[1] + dx)) * channels + channel] ?? -Infinity;
      values[dy * size[1] + dx] = value;
      if (value > max) max = value;
    }
  }
  return { values, max };
}

/** Softmax with the maximum subtracted first, so large logits do not overflow. */
export function softmax(logits: ArrayLike<number>): number[] {
  const values = Array.from(logits);
  const top = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - top));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

export type OutputSize = { ok: true; size: number } | { ok: false; reason: string };

/** ⌊(n + 2p − k) / s⌋ + 1, or why the combination is invalid. */
export function convOutputSize(inputSize: number, kernel: number, stride: number, padding: number): OutputSize {
  if (![inputSize, kernel, stride].every((value) => Number.isInteger(value) && value >= 1)) {
    return { ok: false, reason: "Input size, kernel size and stride must be whole numbers of at least 1." };
  }
  if (!Number.isInteger(padding) || padding < 0) return { ok: false, reason: "Padding must be 0 or more." };
  const span = inputSize + 2 * padding - kernel;
  if (span < 0) return { ok: false, reason: `The ${kernel}x${kernel} kernel does not fit in the padded ${inputSize + 2 * padding}x${inputSize + 2 * padding} input.` };
  if (span % stride !== 0) {
    return { ok: false, reason: `With stride ${stride} the window does not land exactly on the last column: (${inputSize} + 2·${padding} − ${kernel}) is not a multiple of ${stride}.` };
  }
  return { ok: true, size: span / stride + 1 };
}

/**
 * The intermediate map of one input channel for filter `out`: that channel alone convolved
 * with its kernel slice (valid padding). Summed over channels plus the bias it gives the
 * conv layer's map, which is what the convolutional intermediate view shows.
 */
export function convChannelMap(input: Tensor, kernel: ConvKernel, out: number, channel: number, stride: readonly [number, number] = [1, 1]): Tensor {
  const [inHeight = 0, inWidth = 0, inChannels = 0] = input.shape;
  const [kh, kw, kernelIn, kernelOut] = kernel.shape;
  if (kernelIn !== inChannels) throw new Error(`kernel expects ${kernelIn} channels, input has ${inChannels}`);
  const height = Math.floor((inHeight - kh) / stride[0]) + 1;
  const width = Math.floor((inWidth - kw) / stride[1]) + 1;
  const data = new Float32Array(height * width);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let sum = 0;
      for (let dy = 0; dy < kh; dy += 1) {
        for (let dx = 0; dx < kw; dx += 1) {
          const value = input.data[((y * stride[0] + dy) * inWidth + (x * stride[1] + dx)) * inChannels + channel] ?? 0;
          sum += value * (kernel.data[((dy * kw + dx) * kernelIn + channel) * kernelOut + out] ?? 0);
        }
      }
      data[y * width + x] = sum;
    }
  }
  return { shape: [height, width, 1], data };
}

/** The kh x kw slice of filter `out` that reads input channel `channel`. */
export function kernelSlice(kernel: ConvKernel, out: number, channel: number): Float32Array {
  const [kh, kw, kernelIn, kernelOut] = kernel.shape;
  const slice = new Float32Array(kh * kw);
  for (let i = 0; i < kh * kw; i += 1) slice[i] = kernel.data[(i * kernelIn + channel) * kernelOut + out] ?? 0;
  return slice;
}

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
  /** 1 where the window lies on the zero padding around the input ("same" padding), else 0. */
  padded: Uint8Array;
  /** Sum of the products in float64 (what the views print), before the bias. */
  sum: number;
}

/** Zeros added on each side of a map before the window slides: rows above/below, columns left/right. */
export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export const NO_PADDING: Padding = { top: 0, bottom: 0, left: 0, right: 0 };

/**
 * TensorFlow's rule along one axis: "same" gives ⌈n / s⌉ outputs and pads just enough zeros
 * for the last window, half before and the odd one after; "valid" pads nothing.
 */
export function axisPadding(
  padding: string | undefined,
  inputSize: number,
  kernel: number,
  stride: number,
): [number, number] {
  if (padding !== "same") return [0, 0];
  const outputs = Math.ceil(inputSize / stride);
  const total = Math.max((outputs - 1) * stride + kernel - inputSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** The padding of a conv layer (`padding` as in model.json) over an H x W input. */
export function paddingOf(
  padding: string | undefined,
  [height, width]: readonly [number, number],
  [kh, kw]: readonly [number, number],
  stride: readonly [number, number] = [1, 1],
): Padding {
  const [top, bottom] = axisPadding(padding, height, kh, stride[0]);
  const [left, right] = axisPadding(padding, width, kw, stride[1]);
  return { top, bottom, left, right };
}

/** An H x W plane with the zero padding added around it, for a view that shows the padding. */
export function padPlane(
  plane: ArrayLike<number>,
  height: number,
  width: number,
  padding: Padding,
): Float32Array {
  const paddedWidth = width + padding.left + padding.right;
  const result = new Float32Array((height + padding.top + padding.bottom) * paddedWidth);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1)
      result[(y + padding.top) * paddedWidth + x + padding.left] = plane[y * width + x] ?? 0;
  }
  return result;
}

/**
 * One output position of a convolution of `input` channel(s) with filter `out`. The window's
 * top-left corner is at (y·s − top, x·s − left) of the input; cells outside it read the
 * padding's zeros (flagged in `padded`).
 */
export function convWindow(
  input: Tensor,
  kernel: ConvKernel,
  out: number,
  y: number,
  x: number,
  stride: readonly [number, number] = [1, 1],
  channels: readonly number[] | null = null,
  padding: Padding = NO_PADDING,
): WindowProducts {
  const [inHeight = 0, inWidth = 0, inChannels = 0] = input.shape;
  const [kh, kw, kernelIn, kernelOut] = kernel.shape;
  if (kernelIn !== inChannels)
    throw new Error(`kernel expects ${kernelIn} channels, input has ${inChannels}`);
  const picked = channels ?? Array.from({ length: inChannels }, (_, c) => c);
  const count = kh * kw * picked.length;
  const result: WindowProducts = {
    inputs: new Float32Array(count),
    weights: new Float32Array(count),
    products: new Float32Array(count),
    padded: new Uint8Array(count),
    sum: 0,
  };
  let i = 0;
  for (let dy = 0; dy < kh; dy += 1) {
    for (let dx = 0; dx < kw; dx += 1) {
      const iy = y * stride[0] + dy - padding.top;
      const ix = x * stride[1] + dx - padding.left;
      const inside = iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth;
      for (const c of picked) {
        const value = inside ? (input.data[(iy * inWidth + ix) * inChannels + c] ?? 0) : 0;
        const weight = kernel.data[((dy * kw + dx) * kernelIn + c) * kernelOut + out] ?? 0;
        result.inputs[i] = value;
        result.weights[i] = weight;
        result.products[i] = value * weight;
        result.padded[i] = inside ? 0 : 1;
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
      const value =
        input.data[((y * stride[0] + dy) * inWidth + (x * stride[1] + dx)) * channels + channel] ??
        -Infinity;
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
export function convOutputSize(
  inputSize: number,
  kernel: number,
  stride: number,
  padding: number,
): OutputSize {
  if (![inputSize, kernel, stride].every((value) => Number.isInteger(value) && value >= 1)) {
    return {
      ok: false,
      reason: "Input size, kernel size and stride must be whole numbers of at least 1.",
    };
  }
  if (!Number.isInteger(padding) || padding < 0)
    return { ok: false, reason: "Padding must be 0 or more." };
  const span = inputSize + 2 * padding - kernel;
  if (span < 0)
    return {
      ok: false,
      reason: `The ${kernel}x${kernel} kernel does not fit in the padded ${inputSize + 2 * padding}x${inputSize + 2 * padding} input.`,
    };
  if (span % stride !== 0) {
    return {
      ok: false,
      reason: `With stride ${stride} the window does not land exactly on the last column: (${inputSize} + 2·${padding} − ${kernel}) is not a multiple of ${stride}.`,
    };
  }
  return { ok: true, size: span / stride + 1 };
}

/**
 * The intermediate map of one input channel for filter `out`: that channel alone convolved
 * with its kernel slice ("valid", or "same" with zeros around the input as TensorFlow pads).
 * Summed over channels plus the bias it gives the conv layer's map, which is what the
 * convolutional intermediate view shows.
 */
export function convChannelMap(
  input: Tensor,
  kernel: ConvKernel,
  out: number,
  channel: number,
  stride: readonly [number, number] = [1, 1],
  padding: "valid" | "same" = "valid",
): Tensor {
  const [inHeight = 0, inWidth = 0, inChannels = 0] = input.shape;
  const [kh, kw, kernelIn, kernelOut] = kernel.shape;
  if (kernelIn !== inChannels)
    throw new Error(`kernel expects ${kernelIn} channels, input has ${inChannels}`);
  const pad = paddingOf(padding, [inHeight, inWidth], [kh, kw], stride);
  const height = Math.floor((inHeight + pad.top + pad.bottom - kh) / stride[0]) + 1;
  const width = Math.floor((inWidth + pad.left + pad.right - kw) / stride[1]) + 1;
  const data = new Float32Array(height * width);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let sum = 0;
      for (let dy = 0; dy < kh; dy += 1) {
        const iy = y * stride[0] + dy - pad.top;
        if (iy < 0 || iy >= inHeight) continue;
        for (let dx = 0; dx < kw; dx += 1) {
          const ix = x * stride[1] + dx - pad.left;
          if (ix < 0 || ix >= inWidth) continue;
          const value = input.data[(iy * inWidth + ix) * inChannels + channel] ?? 0;
          sum +=
            value * (kernel.data[((dy * kw + dx) * kernelIn + channel) * kernelOut + out] ?? 0);
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
  for (let i = 0; i < kh * kw; i += 1)
    slice[i] = kernel.data[(i * kernelIn + channel) * kernelOut + out] ?? 0;
  return slice;
}

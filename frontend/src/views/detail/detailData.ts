/**
 * What a detail view shows at one output pixel of one neuron, found through the layer graph
 * (the layer's type and its `input`, never its name): a convolution window's products per
 * input channel, a ReLU's input and output, a max-pool window and its maximum.
 */
import {
  convWindow,
  maxPoolWindow,
  paddingOf,
  type ConvKernel,
  type Padding,
} from "../../math/ops";
import { channelPlane, type Tensor } from "../../math/tensor";
import type { Layer, ModelGraph } from "../../model/graph";

export interface Pixel {
  y: number;
  x: number;
}

/** Layer types with a detail view at a pixel. */
export const PIXEL_DETAIL_TYPES: readonly Layer["type"][] = ["conv", "relu", "max_pool"];

export interface NeuronMapData {
  layer: Layer;
  sourceLayer: Layer;
  source: Tensor;
  /** The neuron's own map and the map of the same channel one layer before (relu, pool). */
  output: Float32Array;
  outputSize: [number, number];
  sourceSize: [number, number];
}

export interface ChannelProducts {
  channel: number;
  inputs: Float32Array;
  weights: Float32Array;
  products: Float32Array;
  /** 1 where the window lies on the zero padding ("same" padding), else 0. */
  padded: Uint8Array;
  /** Sum of this channel's products: the intermediate map's value at the pixel. */
  sum: number;
}

export interface ConvPixelDetail {
  kernelSize: [number, number];
  stride: [number, number];
  /** Zeros around the input ("same" padding); all 0 for "valid". */
  padding: Padding;
  /** Top-left corner of the window in the padded input (row, column). */
  windowAt: Pixel;
  channels: ChannelProducts[];
  bias: number;
  /** Σ channel sums + bias in float64. */
  total: number;
  /** The value the model computed (float32, from the bundle). */
  model: number;
}

export interface PoolPixelDetail {
  size: [number, number];
  stride: [number, number];
  values: Float32Array;
  max: number;
  /** Index in `values` of the first maximum. */
  argmax: number;
  model: number;
}

export function neuronMapData(
  graph: ModelGraph,
  layer: Layer,
  index: number,
  outputs: ReadonlyMap<string, Tensor>,
): NeuronMapData {
  const sourceLayer = graph.layers.find((candidate) => candidate.name === layer.input);
  const source = outputs.get(layer.input ?? "");
  const own = outputs.get(layer.name);
  if (!sourceLayer || !source || !own || own.shape.length !== 3 || source.shape.length !== 3) {
    throw new Error(`The data for ${layer.name} is incomplete.`);
  }
  return {
    layer,
    sourceLayer,
    source,
    output: channelPlane(own, index),
    outputSize: [own.shape[0] ?? 0, own.shape[1] ?? 0],
    sourceSize: [source.shape[0] ?? 0, source.shape[1] ?? 0],
  };
}

/** The pixel kept inside an H x W map (a stale link or a smaller model's map). */
export function clampPixel(pixel: Pixel, [height, width]: readonly [number, number]): Pixel {
  return {
    y: Math.min(Math.max(0, pixel.y), Math.max(0, height - 1)),
    x: Math.min(Math.max(0, pixel.x), Math.max(0, width - 1)),
  };
}

/** Where a detail view opens without a pixel in the link: the map's strongest pixel. */
export function strongestPixel(plane: ArrayLike<number>, width: number): Pixel {
  let best = 0;
  for (let i = 1; i < plane.length; i += 1)
    if (Math.abs(plane[i] ?? 0) > Math.abs(plane[best] ?? 0)) best = i;
  return { y: Math.floor(best / Math.max(1, width)), x: best % Math.max(1, width) };
}

export function convPixelDetail(
  graph: ModelGraph,
  layer: Layer,
  index: number,
  pixel: Pixel,
  outputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Float32Array>,
): ConvPixelDetail {
  const map = neuronMapData(graph, layer, index, outputs);
  const entry = graph.weights.tensors.find(
    (tensor) => tensor.layer === layer.name && tensor.name === "kernel",
  );
  const kernelData = weights.get(`${layer.name}/kernel`);
  const biases = weights.get(`${layer.name}/bias`);
  if (!entry || !kernelData || !biases)
    throw new Error(`The filters of ${layer.name} are missing.`);
  const [kh = 1, kw = 1, cin = 1, cout = 1] = entry.shape;
  const kernel: ConvKernel = { shape: [kh, kw, cin, cout], data: kernelData };
  const stride = layer.stride ?? [1, 1];
  const padding = paddingOf(layer.padding, map.sourceSize, [kh, kw], stride);
  const channels = Array.from({ length: cin }, (_, channel) => ({
    channel,
    ...convWindow(map.source, kernel, index, pixel.y, pixel.x, stride, [channel], padding),
  }));
  const bias = biases[index] ?? 0;
  const total = channels.reduce((sum, step) => sum + step.sum, bias);
  const model = map.output[pixel.y * map.outputSize[1] + pixel.x] ?? Number.NaN;
  const windowAt = { y: pixel.y * stride[0], x: pixel.x * stride[1] };
  return { kernelSize: [kh, kw], stride, padding, windowAt, channels, bias, total, model };
}

export function poolPixelDetail(
  layer: Layer,
  map: NeuronMapData,
  index: number,
  pixel: Pixel,
): PoolPixelDetail {
  const size = layer.kernel_size ?? [2, 2];
  const stride = layer.stride ?? size;
  const { values, max } = maxPoolWindow(map.source, index, pixel.y, pixel.x, size, stride);
  const model = map.output[pixel.y * map.outputSize[1] + pixel.x] ?? Number.NaN;
  return { size, stride, values, max, argmax: values.indexOf(max), model };
}

/** The input pixel a ReLU reads for output (y, x): the same position, the same channel. */
export function reluPixelValues(
  map: NeuronMapData,
  index: number,
  pixel: Pixel,
): { input: number; output: number } {
  const [, width] = map.sourceSize;
  const channels = map.source.shape[2] ?? 1;
  const input = map.source.data[(pixel.y * width + pixel.x) * channels + index] ?? Number.NaN;
  return { input, output: map.output[pixel.y * map.outputSize[1] + pixel.x] ?? Number.NaN };
}

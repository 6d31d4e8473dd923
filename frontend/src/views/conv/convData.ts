/** What the convolutional intermediate view draws for one conv neuron, computed once. */
import {
  convChannelMap,
  kernelSlice,
  paddingOf,
  type ConvKernel,
  type Padding,
} from "../../math/ops";
import { channelPlane, extentOf, type Tensor } from "../../math/tensor";
import type { Layer, ModelGraph } from "../../model/graph";

export interface ChannelStep {
  channel: number;
  source: Float32Array;
  kernel: Float32Array;
  intermediate: Float32Array;
}

export interface ConvNeuronData {
  layer: Layer;
  sourceLayer: Layer;
  sourceSize: [number, number];
  outputSize: [number, number];
  kernelSize: [number, number];
  stride: [number, number];
  /** Zeros around the source ("same" padding): the window of output (y, x) starts at (y·s − top, x·s − left). */
  padding: Padding;
  channels: ChannelStep[];
  bias: number;
  output: Float32Array;
  magnitudes: { source: number; kernel: number; intermediate: number; output: number };
}

const magnitude = (values: ArrayLike<number>) => {
  const { min, max } = extentOf(values);
  return Math.max(Math.abs(min), Math.abs(max));
};

export function convNeuronData(
  graph: ModelGraph,
  layer: Layer,
  index: number,
  outputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Float32Array>,
): ConvNeuronData {
  const sourceLayer = graph.layers.find((candidate) => candidate.name === layer.input);
  const source = outputs.get(layer.input ?? "");
  const own = outputs.get(layer.name);
  const entry = graph.weights.tensors.find(
    (tensor) => tensor.layer === layer.name && tensor.name === "kernel",
  );
  const kernelData = weights.get(`${layer.name}/kernel`);
  const biases = weights.get(`${layer.name}/bias`);
  if (!sourceLayer || !source || !own || !entry || !kernelData || !biases) {
    throw new Error(`The data for ${layer.name} is incomplete.`);
  }
  const [kh = 1, kw = 1, cin = 1, cout = 1] = entry.shape;
  const kernel: ConvKernel = { shape: [kh, kw, cin, cout], data: kernelData };
  const stride = layer.stride ?? [1, 1];
  const channels = Array.from({ length: cin }, (_, channel) => ({
    channel,
    source: channelPlane(source, channel),
    kernel: kernelSlice(kernel, index, channel),
    intermediate: convChannelMap(source, kernel, index, channel, stride, layer.padding ?? "valid")
      .data,
  }));
  const output = channelPlane(own, index);
  return {
    layer,
    sourceLayer,
    sourceSize: [source.shape[0] ?? 0, source.shape[1] ?? 0],
    outputSize: [own.shape[0] ?? 0, own.shape[1] ?? 0],
    kernelSize: [kh, kw],
    stride,
    padding: paddingOf(
      layer.padding,
      [source.shape[0] ?? 0, source.shape[1] ?? 0],
      [kh, kw],
      stride,
    ),
    channels,
    bias: biases[index] ?? 0,
    output,
    magnitudes: {
      source: magnitude(source.data),
      kernel: Math.max(...channels.map((step) => magnitude(step.kernel))),
      intermediate: Math.max(...channels.map((step) => magnitude(step.intermediate))),
      output: magnitude(output),
    },
  };
}

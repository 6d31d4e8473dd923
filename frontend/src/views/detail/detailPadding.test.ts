import { describe, expect, it } from "vitest";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Tensor } from "../../math/tensor";
import { convPixelDetail } from "./detailData";

/** A two-channel 4x4 input and a 3x3 conv with "same" padding and stride 2, worked by hand. */
const input: Tensor = {
  shape: [4, 4, 2],
  // channel 0 holds 1..16, channel 1 holds 10 everywhere
  data: Float32Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? i / 2 + 1 : 10)),
};
// kernel [3, 3, 2, 1]: weight 1 for channel 0, 0.5 for channel 1; bias 0.25
const kernel = Float32Array.from({ length: 18 }, (_, i) => (i % 2 === 0 ? 1 : 0.5));
const layers: Layer[] = [
  {
    name: "input",
    type: "input",
    output_shape: [4, 4, 2],
    input: null,
    unit: "input",
    module: "input",
  },
  {
    name: "conv",
    type: "conv",
    output_shape: [2, 2, 1],
    input: "input",
    unit: "conv",
    module: "block_1",
    kernel_size: [3, 3],
    stride: [2, 2],
    padding: "same",
    filters: 1,
  },
];
const graph: ModelGraph = {
  input: { shape: [4, 4, 2] },
  classes: [],
  layers,
  weights: {
    tensors: [
      { layer: "conv", name: "kernel", shape: [3, 3, 2, 1], offset: 0, length: 72 },
      { layer: "conv", name: "bias", shape: [1], offset: 72, length: 4 },
    ],
  },
};
// What the model computed at the four outputs: channel-0 window sums 54, 45, 72, 54 plus
// 0.5 x 10 x (cells inside the input: 9, 6, 6, 4) plus the bias.
const model: Tensor = {
  shape: [2, 2, 1],
  data: Float32Array.from([54 + 45 + 0.25, 45 + 30 + 0.25, 72 + 30 + 0.25, 54 + 20 + 0.25]),
};
const outputs = new Map<string, Tensor>([
  ["input", input],
  ["conv", model],
]);
const weights = new Map<string, Float32Array>([
  ["conv/kernel", kernel],
  ["conv/bias", Float32Array.from([0.25])],
]);

describe("convPixelDetail with 'same' padding and stride 2", () => {
  it("adds up to what the model computed at every output pixel, padding cells counted as zeros", () => {
    for (let y = 0; y < 2; y += 1) {
      for (let x = 0; x < 2; x += 1) {
        const detail = convPixelDetail(graph, layers[1] as Layer, 0, { y, x }, outputs, weights);
        expect(detail.total).toBeCloseTo(detail.model, 6);
        expect(detail.padding).toEqual({ top: 0, bottom: 1, left: 0, right: 1 });
        expect(detail.windowAt).toEqual({ y: 2 * y, x: 2 * x });
      }
    }
  });

  it("shows the bottom-right window's padded cells as zeros and flags them", () => {
    const detail = convPixelDetail(graph, layers[1] as Layer, 0, { y: 1, x: 1 }, outputs, weights);
    const [first, second] = detail.channels;
    expect([...(first?.inputs ?? [])]).toEqual([11, 12, 0, 15, 16, 0, 0, 0, 0]);
    expect([...(second?.inputs ?? [])]).toEqual([10, 10, 0, 10, 10, 0, 0, 0, 0]);
    expect([...(first?.padded ?? [])]).toEqual([0, 0, 1, 0, 0, 1, 1, 1, 1]);
    expect(first?.sum).toBe(54);
    expect(second?.sum).toBe(20);
    expect(detail.total).toBe(74.25);
  });
});

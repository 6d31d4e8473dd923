import { describe, expect, it } from "vitest";
import { decodeBundle, inputTensor } from "../api/bundle";
import { weightsByManifest } from "../api/explorer";
import { fixtureBytes, fixtureGraph } from "../test/fixtures";
import { deriveLayers } from "./derive";
import {
  convChannelMap,
  convOutputSize,
  convWindow,
  kernelSlice,
  maxPoolWindow,
  softmax,
  type ConvKernel,
} from "./ops";

const graph = fixtureGraph("small3");
const bundle = decodeBundle(fixtureBytes("small3.bundle.pb"));
const outputs = deriveLayers(graph.layers, bundle.tensors);
const weightBytes = fixtureBytes("small3.weights.bin");
const weights = weightsByManifest(
  weightBytes.buffer.slice(weightBytes.byteOffset, weightBytes.byteOffset + weightBytes.byteLength),
  graph.weights.tensors,
);

function kernelOf(layer: string): ConvKernel {
  const entry = graph.weights.tensors.find(
    (tensor) => tensor.layer === layer && tensor.name === "kernel",
  );
  const [kh = 0, kw = 0, cin = 0, cout = 0] = entry?.shape ?? [];
  return { shape: [kh, kw, cin, cout], data: weights.get(`${layer}/kernel`) ?? new Float32Array() };
}

describe("convWindow", () => {
  it("reproduces the model's first conv output: window products plus bias", () => {
    const conv = outputs.get("conv_1_1");
    const bias = weights.get("conv_1_1/bias");
    for (const [y, x, out] of [
      [0, 0, 0],
      [10, 31, 5],
      [43, 43, 7],
    ] as const) {
      const window = convWindow(inputTensor(bundle), kernelOf("conv_1_1"), out, y, x);
      expect(window.products.length).toBe(5 * 5 * 3);
      expect(window.sum + (bias?.[out] ?? 0)).toBeCloseTo(
        conv?.data[(y * 44 + x) * 8 + out] ?? NaN,
        5,
      );
    }
  });

  it("reproduces a deeper conv from the pooled maps of the block before", () => {
    const pooled = outputs.get("max_pool_1");
    const conv = outputs.get("conv_2_1");
    const window = convWindow(
      pooled ?? { shape: [], data: new Float32Array() },
      kernelOf("conv_2_1"),
      3,
      4,
      9,
    );
    expect(window.sum + (weights.get("conv_2_1/bias")?.[3] ?? 0)).toBeCloseTo(
      conv?.data[(4 * 18 + 9) * 8 + 3] ?? NaN,
      5,
    );
  });

  it("the per-channel intermediates add up to the whole window", () => {
    const input = inputTensor(bundle);
    const kernel = kernelOf("conv_1_1");
    const parts = [0, 1, 2].map((c) => convWindow(input, kernel, 2, 7, 7, [1, 1], [c]).sum);
    expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo(
      convWindow(input, kernel, 2, 7, 7).sum,
      10,
    );
  });
});

describe("maxPoolWindow", () => {
  it("finds the value the pooled layer holds", () => {
    const relu = outputs.get("relu_1_1");
    const pooled = outputs.get("max_pool_1");
    const window = maxPoolWindow(
      relu ?? { shape: [], data: new Float32Array() },
      4,
      6,
      11,
      [2, 2],
      [2, 2],
    );
    expect(window.values.length).toBe(4);
    expect(window.max).toBe(pooled?.data[(6 * 22 + 11) * 8 + 4]);
  });
});

describe("softmax", () => {
  it("turns the model's logits into its probabilities", () => {
    const probabilities = softmax(outputs.get("output")?.data ?? []);
    bundle.probabilities.forEach((expected, index) =>
      expect(probabilities[index]).toBeCloseTo(expected, 6),
    );
  });

  it("does not overflow on large logits", () => {
    expect(softmax([1000, 1000])).toEqual([0.5, 0.5]);
  });
});

describe("convOutputSize", () => {
  it("applies (n + 2p - k) / s + 1", () => {
    expect(convOutputSize(64, 3, 1, 0)).toEqual({ ok: true, size: 62 });
    expect(convOutputSize(5, 3, 2, 1)).toEqual({ ok: true, size: 3 });
    expect(convOutputSize(48, 5, 1, 2)).toEqual({ ok: true, size: 48 });
  });

  it("explains invalid combinations", () => {
    const tooBig = convOutputSize(3, 5, 1, 0);
    expect(tooBig.ok).toBe(false);
    expect(!tooBig.ok && tooBig.reason).toMatch(/does not fit/);
    expect(convOutputSize(6, 3, 2, 0).ok).toBe(false);
    expect(convOutputSize(6, 0, 1, 0).ok).toBe(false);
  });
});

describe("convChannelMap", () => {
  it("sums over channels, plus the bias, to the model's conv map", () => {
    const pooled = outputs.get("max_pool_1") ?? { shape: [], data: new Float32Array() };
    const kernel = kernelOf("conv_2_1");
    const maps = Array.from({ length: 8 }, (_, c) => convChannelMap(pooled, kernel, 5, c));
    expect(maps[0]?.shape).toEqual([18, 18, 1]);
    const conv = outputs.get("conv_2_1");
    const bias = weights.get("conv_2_1/bias")?.[5] ?? 0;
    for (const position of [0, 100, 323]) {
      const total = maps.reduce((sum, map) => sum + (map.data[position] ?? 0), bias);
      expect(total).toBeCloseTo(conv?.data[position * 8 + 5] ?? NaN, 5);
    }
  });

  it("slices a filter's kernel for one input channel", () => {
    const kernel: ConvKernel = {
      shape: [1, 2, 2, 3],
      data: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    };
    // [kh=1][kw=2][in=2][out=3]: out 2, channel 1 → indices (0*2+1)*3+2 = 5 and (1*2+1)*3+2 = 11.
    expect([...kernelSlice(kernel, 2, 1)]).toEqual([5, 11]);
  });
});

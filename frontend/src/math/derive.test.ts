import { describe, expect, it } from "vitest";
import { decodeBundle, inputTensor } from "../api/bundle";
import { fixtureBytes, fixtureGraph } from "../test/fixtures";
import { deriveLayers, maxPool, relu } from "./derive";

describe("deriveLayers", () => {
  const graph = fixtureGraph("small3");
  const carried = decodeBundle(fixtureBytes("small3.bundle.pb"));
  const everything = decodeBundle(fixtureBytes("small3.all_layers.pb"));

  it("carries only conv, dense and softmax layers", () => {
    expect([...carried.tensors.keys()]).toEqual([
      "conv_1_1",
      "conv_2_1",
      "conv_3_1",
      "output",
      "softmax",
    ]);
  });

  it("recomputes relu, max-pool and flatten bit-exactly, as the model computed them", () => {
    const derived = deriveLayers(graph.layers, carried.tensors);
    for (const [name, expected] of everything.tensors) {
      const actual = derived.get(name);
      expect(actual?.shape, name).toEqual(expected.shape);
      expect(
        Buffer.from(
          actual?.data.buffer ?? new ArrayBuffer(0),
          actual?.data.byteOffset,
          actual?.data.byteLength,
        ),
      ).toEqual(
        Buffer.from(expected.data.buffer, expected.data.byteOffset, expected.data.byteLength),
      );
    }
  });

  it("follows each layer's input and type, not its name", () => {
    const renamed = graph.layers.map((layer) => ({
      ...layer,
      name: `x_${layer.name}`,
      input: layer.input && `x_${layer.input}`,
    }));
    const stored = new Map([...carried.tensors].map(([name, tensor]) => [`x_${name}`, tensor]));
    expect(deriveLayers(renamed, stored).get("x_flatten")?.data).toEqual(
      everything.tensors.get("flatten")?.data,
    );
  });

  it("says which layer is missing", () => {
    const without = new Map(carried.tensors);
    without.delete("conv_2_1");
    expect(() => deriveLayers(graph.layers, without)).toThrow(/conv_2_1/);
  });

  it("scales the input pixels to [0, 1]", () => {
    const input = inputTensor(carried);
    expect(input.shape).toEqual([48, 48, 3]);
    expect(input.data[0]).toBeCloseTo((carried.inputPixels[0] ?? 0) / 255, 7);
  });
});

describe("relu and maxPool", () => {
  it("relu keeps positives and zeroes negatives", () => {
    expect([...relu({ shape: [4], data: new Float32Array([-1.5, 0, 2.25, -0.001]) }).data]).toEqual(
      [0, 0, 2.25, 0],
    );
  });

  it("maxPool takes each 2x2 window's maximum per channel and drops an odd last row", () => {
    // 3x3x1 with stride 2: one window, the third row and column are left out (valid padding).
    const source = { shape: [3, 3, 1], data: new Float32Array([1, 5, 9, -2, 3, 9, 7, 7, 7]) };
    expect(maxPool(source, [2, 2], [2, 2])).toEqual({
      shape: [1, 1, 1],
      data: new Float32Array([5]),
    });
  });
});

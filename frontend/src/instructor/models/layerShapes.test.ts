import { describe, expect, it } from "vitest";
import { formatShape, previewLayers, rangeProblems, type Variant } from "./layerShapes";

const tinyVgg: Variant = {
  blocks: 2,
  convs_per_block: 2,
  filters: 10,
  kernel_size: 3,
  input_size: 64,
};

describe("previewLayers", () => {
  it("gives Tiny VGG's shapes and its 19,920 parameters (the committed model card)", () => {
    const preview = previewLayers(tinyVgg, 10);
    expect(preview.problem).toBeNull();
    expect(preview.layers.map((layer) => `${layer.name} ${formatShape(layer.shape)}`)).toEqual([
      "input 64 × 64 × 3",
      "conv_1_1 62 × 62 × 10",
      "relu_1_1 62 × 62 × 10",
      "conv_1_2 60 × 60 × 10",
      "relu_1_2 60 × 60 × 10",
      "max_pool_1 30 × 30 × 10",
      "conv_2_1 28 × 28 × 10",
      "relu_2_1 28 × 28 × 10",
      "conv_2_2 26 × 26 × 10",
      "relu_2_2 26 × 26 × 10",
      "max_pool_2 13 × 13 × 10",
      "flatten 1690",
      "output 10",
      "softmax 10",
    ]);
    expect(preview.params).toBe(19920);
  });

  it("matches the differently shaped model of the second-model test (3 convs of 8 5×5 filters on 48×48)", () => {
    const preview = previewLayers(
      { blocks: 3, convs_per_block: 1, filters: 8, kernel_size: 5, input_size: 48 },
      3,
    );
    // 48 → 44 → 22 → 18 → 9 → 5 → 2: flatten 2 × 2 × 8 = 32 (docs/frontend.md).
    expect(preview.layers.find((layer) => layer.name === "flatten")?.shape).toEqual([32]);
    expect(preview.layers.at(-1)?.shape).toEqual([3]);
  });

  it("refuses a combination whose maps shrink below one pixel, naming the layer", () => {
    // 32 → 28 → 24 → 20 → 10 → 6 → 2, and a third 5 × 5 convolution does not fit.
    const preview = previewLayers(
      { blocks: 4, convs_per_block: 3, filters: 8, kernel_size: 5, input_size: 32 },
      3,
    );
    expect(preview.problem).toMatch(/^conv_2_3: a 5×5 kernel does not fit a 2×2 map/);
    expect(preview.layers.at(-1)?.name).toBe("relu_2_2");
    // Pooling a 1 × 1 map is refused too: 32 → 30 → 15 → 13 → 6 → 4 → 2 → 0.
    const pooled = previewLayers(
      { blocks: 4, convs_per_block: 1, filters: 8, kernel_size: 3, input_size: 32 },
      3,
    );
    expect(pooled.problem).toMatch(/^conv_4_1: a 3×3 kernel does not fit a 2×2 map/);
    const exact = previewLayers(
      { blocks: 1, convs_per_block: 1, filters: 2, kernel_size: 3, input_size: 3 },
      2,
    );
    expect(exact.problem).toMatch(/^max_pool_1: a 1×1 map cannot be pooled/);
  });

  it("accepts every allowed combination or says why not, never a shape below one pixel", () => {
    for (const blocks of [1, 2, 3, 4])
      for (const convs of [1, 2, 3])
        for (const k of [3, 5])
          for (const input of [32, 40, 48, 56, 64]) {
            const preview = previewLayers(
              { blocks, convs_per_block: convs, filters: 4, kernel_size: k, input_size: input },
              5,
            );
            for (const layer of preview.layers)
              for (const size of layer.shape) expect(size).toBeGreaterThanOrEqual(1);
            // Brute force: the side after each step, as in architecture.py.
            let side = input;
            let fits = true;
            for (let b = 0; b < blocks && fits; b += 1) {
              for (let c = 0; c < convs && fits; c += 1) {
                side -= k - 1;
                fits = side >= 1;
              }
              if (fits) {
                side = Math.floor(side / 2);
                fits = side >= 1;
              }
            }
            expect(preview.problem === null).toBe(fits);
            if (fits)
              expect(preview.layers.find((layer) => layer.type === "flatten")?.shape).toEqual([
                side * side * 4,
              ]);
          }
  });
});

describe("rangeProblems", () => {
  it("names each field out of the contract's range", () => {
    expect(rangeProblems({ ...tinyVgg, epochs: 5 })).toEqual({});
    const problems = rangeProblems({
      blocks: 0,
      convs_per_block: 4,
      filters: 1.5,
      kernel_size: 4,
      input_size: 36,
      epochs: 61,
    });
    expect(problems).toEqual({
      blocks: "Blocks must be from 1 to 4.",
      convs_per_block: "Convolutions per block must be from 1 to 3.",
      filters: "Filters must be a whole number.",
      kernel_size: "Kernel size must be 3 or 5.",
      input_size: "Input size must be a multiple of 8.",
      epochs: "Epochs must be from 1 to 60.",
    });
  });
});

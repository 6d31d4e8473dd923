import { describe, expect, it } from "vitest";
import type { Layer, ModelGraph } from "../../model/graph";
import { fitOverview, MIN_FITTED_NODE, titleLines } from "./geometry";

function graph(filters: number, names: string[]): ModelGraph {
  const input = { name: "input", type: "input", output_shape: [64, 64, 3] } as unknown as Layer;
  const layers = names.map(
    (name, i) =>
      ({
        name,
        type: name.startsWith("max_pool") ? "max_pool" : name.startsWith("relu") ? "relu" : "conv",
        input: i === 0 ? "input" : names[i - 1],
        output_shape: [62 - 2 * i, 62 - 2 * i, filters],
      }) as unknown as Layer,
  );
  const output = { name: "softmax", type: "dense", output_shape: [10] } as unknown as Layer;
  return {
    layers: [input, ...layers, output],
    classes: Array.from({ length: 10 }, (_, i) => ({ name: `class ${i}` })),
  } as unknown as ModelGraph;
}

const TINY_VGG = graph(10, [
  "conv_1_1",
  "relu_1_1",
  "conv_1_2",
  "relu_1_2",
  "max_pool_1",
  "conv_2_1",
  "relu_2_1",
  "conv_2_2",
  "relu_2_2",
  "max_pool_2",
]);

describe("titleLines", () => {
  it("keeps a title that fits on one line and breaks a long one before an underscore", () => {
    expect(titleLines("conv_1_1", 100)).toBe(1);
    expect(titleLines("max_pool_1", 70)).toBe(2);
    expect(titleLines("a_very_long_layer_name", 40)).toBeGreaterThanOrEqual(4);
  });
});

describe("fitOverview", () => {
  for (const width of [600, 720, 984, 940, 1060, 1600]) {
    it(`lays out Tiny VGG at ${width} px: columns apart, maps growing with the width`, () => {
      const { layout, titleRoom } = fitOverview(TINY_VGG, width);
      expect(layout.columns).toHaveLength(12);
      const maps = layout.columns.filter((column) => column.kind !== "output");
      const pitchX = (maps[1]?.x ?? 0) - (maps[0]?.x ?? 0);
      expect(titleRoom).toBeCloseTo(pitchX - 2);
      maps.slice(1).forEach((column, i) => {
        const previous = maps[i];
        expect(previous).toBeDefined();
        if (previous)
          expect(column.x - (previous.x + previous.width)).toBeGreaterThan(pitchX * 0.3);
      });
      const output = layout.columns.at(-1);
      expect(output && output.x + output.width).toBeCloseTo(width);
      // The first row starts right under the titles; the legends fit under the last.
      const top = Math.min(...maps.map((column) => column.neurons[0]?.y ?? Infinity));
      expect(top).toBe(layout.headerHeight);
      const last = maps[1]?.neurons[9]?.y ?? Infinity;
      expect(last + layout.nodeSize).toBeLessThanOrEqual(layout.height - 40);
    });
  }
  it("grows the maps with the width", () => {
    const narrow = fitOverview(TINY_VGG, 984).layout.nodeSize;
    const wide = fitOverview(TINY_VGG, 1400).layout.nodeSize;
    expect(narrow).toBeGreaterThanOrEqual(44);
    expect(wide).toBeGreaterThan(narrow);
  });
  it("shrinks the maps to fit a height, the titles and columns kept", () => {
    const free = fitOverview(TINY_VGG, 984).layout;
    const fitted = fitOverview(TINY_VGG, 984, { height: 470, footer: 6 }).layout;
    expect(fitted.nodeSize).toBeLessThan(free.nodeSize);
    expect(fitted.headerHeight).toBe(free.headerHeight);
    // Its maps and the footer asked for stay within the height.
    const rows = 10 * (fitted.nodeSize + 4) - 4;
    expect(fitted.headerHeight + rows + 6).toBeLessThanOrEqual(470);
    expect(fitted.columns).toHaveLength(free.columns.length);
  });
  it("never shrinks the maps below the floor, nor grows them past the width's size", () => {
    const tooShort = fitOverview(TINY_VGG, 984, { height: 100, footer: 6 }).layout;
    expect(tooShort.nodeSize).toBe(MIN_FITTED_NODE);
    const roomy = fitOverview(TINY_VGG, 984, { height: 5000, footer: 6 }).layout;
    expect(roomy.nodeSize).toBe(fitOverview(TINY_VGG, 984).layout.nodeSize);
  });
});

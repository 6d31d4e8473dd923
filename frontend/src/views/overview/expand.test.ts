import { describe, expect, it } from "vitest";
import { fixtureGraph } from "../../test/fixtures";
import { expandAround } from "./expand";
import { fitOverview } from "./geometry";

describe("expandAround", () => {
  for (const width of [1060, 984, 700]) {
    it(`opens a gap before conv_2_1 that fits ${width} px`, () => {
      const { layout } = fitOverview(fixtureGraph("tiny_vgg"), width);
      const target = layout.columns.findIndex((column) => column.layer.name === "conv_2_1");
      const expanded = expandAround(layout, target, 38);
      if (!expanded) throw new Error("no gap");
      const { gap } = expanded;
      const columns = expanded.layout.columns;
      const source = columns[target - 1];
      const selected = columns[target];
      if (!source || !selected) throw new Error("no columns");
      // The input column and the neuron keep their size and rows; the gap lies between them.
      expect(source.width).toBe(layout.nodeSize);
      expect(selected.width).toBe(layout.nodeSize);
      expect(source.neurons.map((n) => n.y)).toEqual(
        layout.columns[target - 1]?.neurons.map((n) => n.y),
      );
      expect(gap.left).toBeGreaterThanOrEqual(source.x + source.width);
      expect(gap.right).toBeLessThanOrEqual(selected.x);
      expect(gap.mapSize).toBeGreaterThanOrEqual(28);
      // Every column stays inside the width, left to right, without overlapping.
      const maps = columns.filter((column) => column.kind !== "output");
      for (let i = 1; i < maps.length; i++) {
        const before = maps[i - 1];
        const column = maps[i];
        if (!before || !column) continue;
        expect(column.x).toBeGreaterThanOrEqual(before.x + before.width);
      }
      const last = maps[maps.length - 1];
      const output = columns[columns.length - 1];
      expect(last && output && last.x + last.width).toBeLessThanOrEqual(output?.x ?? 0);
      expect(expanded.layout.height).toBe(layout.height - 38);
    });
  }

  it("opens nothing where the column before is not the neuron's input", () => {
    const { layout } = fitOverview(fixtureGraph("tiny_vgg"), 1000);
    const output = layout.columns.length - 1;
    expect(expandAround(layout, output)).toBeNull();
    expect(expandAround(layout, 0)).toBeNull();
  });
});

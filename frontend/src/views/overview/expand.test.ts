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

  for (const width of [1340, 984, 700]) {
    it(`opens a gap before the output column, from max_pool_2, that fits ${width} px`, () => {
      const { layout } = fitOverview(fixtureGraph("tiny_vgg"), width);
      const output = layout.columns.length - 1;
      const source = layout.columns.findIndex((column) => column.layer.name === "max_pool_2");
      const expanded = expandAround(layout, output, 38, { width: 160, source });
      if (!expanded) throw new Error("no gap");
      const { gap } = expanded;
      const columns = expanded.layout.columns;
      const last = columns[source];
      const classes = columns[output];
      if (!last || !classes) throw new Error("no columns");
      // The output stays where it was (the right edge); the source keeps its size and rows.
      expect(classes).toEqual(layout.columns[output]);
      expect(last.width).toBe(layout.nodeSize);
      expect(last.neurons.map((n) => n.y)).toEqual(layout.columns[source]?.neurons.map((n) => n.y));
      expect(gap.left).toBeGreaterThanOrEqual(last.x + last.width);
      expect(gap.right).toBe(classes.x);
      expect(gap.right - gap.left).toBeGreaterThanOrEqual(160);
      // The map columns before it close up (shrinking if need be), left to right.
      for (let i = 1; i <= source; i++) {
        const before = columns[i - 1];
        const column = columns[i];
        if (!before || !column) continue;
        expect(column.x).toBeGreaterThanOrEqual(before.x + before.width);
        expect(column.width).toBeLessThanOrEqual(layout.nodeSize);
      }
    });
  }

  it("opens nothing where the column before is not the neuron's input", () => {
    const { layout } = fitOverview(fixtureGraph("tiny_vgg"), 1000);
    const output = layout.columns.length - 1;
    expect(expandAround(layout, output)).toBeNull();
    expect(expandAround(layout, 0)).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { fixtureGraph } from "../test/fixtures";
import { fitOverview } from "../views/overview/geometry";
import { neighbour, sourcesOf, type OverviewLayout } from "./layout";

/** The overview's layout for a screen `box.width` wide (its height follows from the maps). */
const layoutOverview = (
  graph: Parameters<typeof fitOverview>[0],
  box: { width: number; height?: number },
) => fitOverview(graph, box.width).layout;

const size = { width: 1200, height: 600 };

function expectInside(layout: OverviewLayout) {
  for (const column of layout.columns) {
    for (const neuron of column.neurons) {
      expect(neuron.x).toBeGreaterThanOrEqual(0);
      expect(neuron.x + column.width).toBeLessThanOrEqual(layout.width + 1e-9);
      expect(neuron.y).toBeGreaterThanOrEqual(layout.headerHeight);
      expect(neuron.y + Math.min(column.width, layout.nodeSize)).toBeLessThanOrEqual(layout.height);
    }
  }
  const xs = layout.columns.map((column) => column.x);
  expect(xs).toEqual([...xs].sort((a, b) => a - b));
  for (let i = 1; i < layout.columns.length; i += 1) {
    const previous = layout.columns[i - 1];
    expect((previous?.x ?? 0) + (previous?.width ?? 0)).toBeLessThan(layout.columns[i]?.x ?? 0);
  }
}

describe("layoutOverview", () => {
  it("lays out Tiny VGG: input channels, ten map columns of ten, ten classes", () => {
    const layout = layoutOverview(fixtureGraph("tiny_vgg"), size);
    expect(layout.columns.map((column) => column.layer.name)).toEqual([
      "input",
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
      "softmax",
    ]);
    expect(layout.columns.map((column) => column.neurons.length)).toEqual([
      3, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10,
    ]);
    expectInside(layout);
  });

  it("lays out a differently shaped CNN (3 convs of 8 5x5 filters on 48x48) from its graph", () => {
    const layout = layoutOverview(fixtureGraph("small3"), size);
    expect(layout.columns.map((column) => column.kind)).toEqual([
      "input",
      ...Array<string>(9).fill("maps"),
      "output",
    ]);
    expect(layout.columns.slice(1, -1).every((column) => column.neurons.length === 8)).toBe(true);
    expect(layout.columns.slice(1, -1).map((column) => column.layer.output_shape[0])).toEqual([
      44, 44, 22, 18, 18, 9, 5, 5, 2,
    ]);
    expectInside(layout);
    // Fewer neurons per column than Tiny VGG: bigger heatmaps in the same space.
    expect(layout.nodeSize).toBeGreaterThanOrEqual(
      layoutOverview(fixtureGraph("tiny_vgg"), size).nodeSize,
    );
  });

  it("fits a small screen without overlaps", () => {
    expectInside(layoutOverview(fixtureGraph("tiny_vgg"), { width: 900, height: 420 }));
  });

  it("connects conv and output neurons to every source, relu and pool to their own channel", () => {
    const layout = layoutOverview(fixtureGraph("small3"), size);
    expect(sourcesOf(layout, 0, 1)).toEqual([]);
    expect(sourcesOf(layout, 1, 5)).toEqual([0, 1, 2]);
    expect(sourcesOf(layout, 2, 5)).toEqual([5]);
    expect(sourcesOf(layout, 3, 6)).toEqual([6]);
    expect(sourcesOf(layout, 4, 0)).toHaveLength(8);
    expect(sourcesOf(layout, layout.columns.length - 1, 9)).toHaveLength(8);
  });
});

describe("neighbour (keyboard movement)", () => {
  const layout = layoutOverview(fixtureGraph("tiny_vgg"), size);

  it("moves within a column and stops at its ends", () => {
    expect(neighbour(layout, 1, 0, "ArrowUp")).toEqual({ column: 1, index: 0 });
    expect(neighbour(layout, 1, 0, "ArrowDown")).toEqual({ column: 1, index: 1 });
    expect(neighbour(layout, 1, 9, "ArrowDown")).toEqual({ column: 1, index: 9 });
  });

  it("moves across columns of different sizes at the same height", () => {
    expect(neighbour(layout, 0, 2, "ArrowRight")).toEqual({ column: 1, index: 9 });
    expect(neighbour(layout, 1, 5, "ArrowLeft")).toEqual({ column: 0, index: 1 });
    expect(neighbour(layout, 0, 0, "ArrowLeft")).toEqual({ column: 0, index: 0 });
    expect(neighbour(layout, 11, 3, "ArrowRight")).toEqual({ column: 11, index: 3 });
  });
});

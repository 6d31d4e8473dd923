import { describe, expect, it } from "vitest";
import { decodeBundle } from "../api/bundle";
import { fixtureBytes, fixtureGraph } from "../test/fixtures";
import { deriveLayers } from "./derive";
import { scopeRanges } from "./scopes";
import { extentOf } from "./tensor";

const graph = fixtureGraph("small3");
const outputs = deriveLayers(graph.layers, decodeBundle(fixtureBytes("small3.bundle.pb")).tensors);
const magnitude = (name: string) => {
  const { min, max } = extentOf(outputs.get(name)?.data ?? []);
  return Math.max(Math.abs(min), Math.abs(max));
};

describe("scopeRanges", () => {
  it("unit: a conv shares its range with its ReLU, a pool stands alone", () => {
    const ranges = scopeRanges(graph.layers, outputs, "unit");
    expect(ranges.get("relu_1_1")).toBe(ranges.get("conv_1_1"));
    expect(ranges.get("conv_1_1")?.magnitude).toBe(
      Math.max(magnitude("conv_1_1"), magnitude("relu_1_1")),
    );
    expect(ranges.get("max_pool_1")?.layers).toEqual(["max_pool_1"]);
  });

  it("module: a VGG block shares one range", () => {
    const ranges = scopeRanges(graph.layers, outputs, "module");
    expect(ranges.get("conv_2_1")?.layers).toEqual(["conv_2_1", "relu_2_1", "max_pool_2"]);
    expect(ranges.get("max_pool_3")?.group).toBe("block_3");
  });

  it("global: one range for every map layer, input, flatten and classifier excluded", () => {
    const ranges = scopeRanges(graph.layers, outputs, "global");
    const all = ranges.get("conv_1_1");
    expect(all?.layers).toHaveLength(9);
    expect(ranges.get("flatten")).toBeUndefined();
    expect(all?.magnitude).toBe(Math.max(...(all?.layers ?? []).map(magnitude)));
  });

  it("groups by the graph's fields even when names say otherwise", () => {
    const layers = graph.layers.map((layer) =>
      layer.name === "conv_3_1" ? { ...layer, unit: "conv_1_1" } : layer,
    );
    expect(scopeRanges(layers, outputs, "unit").get("conv_1_1")?.layers).toContain("conv_3_1");
  });
});

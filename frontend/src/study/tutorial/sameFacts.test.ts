/**
 * Both arms of a study are taught the same facts (docs/study.md, "Same facts in both arms"):
 * the tutorial's parameter and receptive-field tables (computed from Tiny VGG's definition)
 * equal what the explorer shows (computed from the served model's description).
 */
import { describe, expect, it } from "vitest";
import { fixtureGraph } from "../../test/fixtures";
import {
  formatCount,
  parameterCount,
  parameterCounts,
  receptiveFields,
} from "../../views/overview/layerFacts";
import { paramFormula, tinyVggShapes } from "./figureMath";

describe("the tutorial and the explorer teach the same numbers", () => {
  const graph = fixtureGraph("tiny_vgg");
  const tutorial = tinyVggShapes();

  it("parameter counts and how they are made, layer by layer", () => {
    const explorer = parameterCounts(graph);
    const taught = tutorial
      .map((layer, index) => ({ layer, index }))
      .filter(({ layer }) => layer.params > 0);
    expect(explorer.map((count) => count.layer)).toEqual(taught.map(({ layer }) => layer.name));
    for (const [n, { layer, index }] of taught.entries()) {
      expect(explorer[n]?.total).toBe(layer.params);
      expect(explorer[n]?.formula).toBe(paramFormula(tutorial, index));
    }
    expect(explorer.map((count) => count.total)).toEqual([280, 910, 910, 910, 16910]);
    expect(formatCount(explorer.reduce((sum, count) => sum + count.total, 0))).toBe("19,920");
    expect(parameterCount(graph, "conv_1_2")?.formula).toBe(
      "10 filters × 3×3×10 weights + 10 biases",
    );
    expect(parameterCount(graph, "max_pool_1")).toBeNull();
  });

  it("receptive fields of every conv and pooling layer", () => {
    const fields = receptiveFields(graph);
    const taught = tutorial.filter((layer) => layer.kind === "conv" || layer.kind === "max_pool");
    for (const layer of taught) expect(fields.get(layer.name)).toBe(layer.field);
    expect(taught.map((layer) => layer.field)).toEqual([3, 5, 6, 10, 14, 16]);
    expect(fields.get("relu_1_2")).toBe(5);
    expect(fields.has("output")).toBe(false);
  });

  it("a differently shaped model gets its own numbers", () => {
    const small = fixtureGraph("small3");
    const counts = parameterCounts(small);
    const tensors = small.weights.tensors;
    const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
    expect(counts.reduce((sum, count) => sum + count.total, 0)).toBe(
      tensors.reduce((sum, tensor) => sum + size(tensor.shape), 0),
    );
  });
});

import { describe, expect, it } from "vitest";
import { decodeBundle } from "../../api/bundle";
import { weightsByManifest } from "../../api/explorer";
import { deriveLayers } from "../../math/derive";
import { fixtureBytes, fixtureGraph } from "../../test/fixtures";
import { classifierData } from "./classifierData";

describe("classifierData", () => {
  const graph = fixtureGraph("small3");
  const bundle = decodeBundle(fixtureBytes("small3.bundle.pb"));
  const bytes = fixtureBytes("small3.weights.bin");
  const weights = weightsByManifest(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    graph.weights.tensors,
  );

  it("follows the graph from a class to the maps it flattens, whatever the names", () => {
    const renamed = {
      ...graph,
      layers: graph.layers.map((layer) => ({
        ...layer,
        name: `x_${layer.name}`,
        input: layer.input && `x_${layer.input}`,
      })),
    };
    const outputs = deriveLayers(
      renamed.layers,
      new Map([...bundle.tensors].map(([name, tensor]) => [`x_${name}`, tensor])),
    );
    const renamedWeights = new Map([...weights].map(([key, value]) => [`x_${key}`, value]));
    const last = renamed.layers[renamed.layers.length - 1];
    if (!last) throw new Error("no layers");
    const data = classifierData(renamed, last, 4, outputs, renamedWeights, "unit");
    expect(data.sourceLayer.name).toBe("x_max_pool_3");
    expect(data.sourceShape).toEqual([2, 2, 8]);
    expect(data.flat).toHaveLength(32);
    expect(Math.abs(data.logit.logit - (data.logits[4] ?? NaN))).toBeLessThan(1e-5);
    expect(Math.abs(data.softmax.probability - data.modelProbability)).toBeLessThan(1e-5);
  });
});

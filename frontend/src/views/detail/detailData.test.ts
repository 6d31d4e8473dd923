import { describe, expect, it } from "vitest";
import { decodeBundle, inputTensor } from "../../api/bundle";
import { weightsByManifest } from "../../api/explorer";
import { sumDisplay } from "../../math/arithmetic";
import { deriveLayers } from "../../math/derive";
import { layerByName } from "../../model/graph";
import { fixtureBytes, fixtureGraph } from "../../test/fixtures";
import {
  clampPixel,
  convPixelDetail,
  neuronMapData,
  poolPixelDetail,
  reluPixelValues,
  strongestPixel,
} from "./detailData";

const graph = fixtureGraph("small3");
const bundle = decodeBundle(fixtureBytes("small3.bundle.pb"));
const outputs = deriveLayers(graph.layers, bundle.tensors);
outputs.set("input", inputTensor(bundle));
const bytes = fixtureBytes("small3.weights.bin");
const weights = weightsByManifest(
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  graph.weights.tensors,
);

describe("convPixelDetail", () => {
  it("adds the channel sums and the bias up to the value the model computed", () => {
    for (const [name, index, y, x] of [
      ["conv_1_1", 0, 0, 0],
      ["conv_1_1", 7, 43, 21],
      ["conv_2_1", 3, 4, 9],
      ["conv_3_1", 5, 4, 4],
    ] as const) {
      const detail = convPixelDetail(
        graph,
        layerByName(graph, name),
        index,
        { y, x },
        outputs,
        weights,
      );
      const [height = 0, width = 0, channels = 0] = outputs.get(name)?.shape ?? [];
      expect(detail.model).toBe(outputs.get(name)?.data[(y * width + x) * channels + index]);
      expect(detail.total).toBeCloseTo(detail.model, 5);
      expect(detail.kernelSize).toEqual([5, 5]);
      expect(detail.channels).toHaveLength(name === "conv_1_1" ? 3 : 8);
      expect(detail.channels[0]?.products).toHaveLength(25);
      expect(height).toBeGreaterThan(y);
      // Each channel's products add up to its own sum; each product is input × weight.
      for (const step of detail.channels) {
        expect([...step.products].reduce((a, b) => a + b, 0)).toBeCloseTo(step.sum, 6);
        step.products.forEach((product, i) =>
          expect(product).toBe(Math.fround((step.inputs[i] ?? 0) * (step.weights[i] ?? 0))),
        );
      }
      // The printed sum of channel sums and bias adds up, or says why not.
      const shown = sumDisplay([...detail.channels.map((step) => step.sum), detail.bias], 4);
      expect(shown.addsUp || shown.note !== null).toBe(true);
    }
  });

  it("reads the window of the first conv from the input pixels", () => {
    const detail = convPixelDetail(
      graph,
      layerByName(graph, "conv_1_1"),
      2,
      { y: 10, x: 20 },
      outputs,
      weights,
    );
    const red = detail.channels[0];
    expect(red?.inputs[0]).toBe(Math.fround((bundle.inputPixels[(10 * 48 + 20) * 3] ?? 0) / 255));
    expect(red?.inputs[24]).toBe(Math.fround((bundle.inputPixels[(14 * 48 + 24) * 3] ?? 0) / 255));
  });
});

describe("relu and max-pool details", () => {
  it("relu outputs max(0, input) at the same pixel", () => {
    const layer = layerByName(graph, "relu_2_1");
    const map = neuronMapData(graph, layer, 6, outputs);
    expect(map.sourceLayer.name).toBe("conv_2_1");
    let negatives = 0;
    for (let y = 0; y < 18; y += 1) {
      for (let x = 0; x < 18; x += 1) {
        const { input, output } = reluPixelValues(map, 6, { y, x });
        expect(output).toBe(Math.max(0, input));
        if (input < 0) negatives += 1;
      }
    }
    expect(negatives).toBeGreaterThan(0);
  });

  it("the pool window's maximum is the pooled value, found in its window", () => {
    const layer = layerByName(graph, "max_pool_2");
    const map = neuronMapData(graph, layer, 4, outputs);
    for (const pixel of [
      { y: 0, x: 0 },
      { y: 8, x: 8 },
      { y: 3, x: 5 },
    ]) {
      const detail = poolPixelDetail(layer, map, 4, pixel);
      expect(detail.size).toEqual([2, 2]);
      expect(detail.max).toBe(detail.model);
      expect(detail.values[detail.argmax]).toBe(detail.max);
      const source = map.source.data[((pixel.y * 2 + 1) * 18 + pixel.x * 2 + 1) * 8 + 4];
      expect(detail.values[3]).toBe(source);
    }
  });

  it("follows the layer graph whatever the names", () => {
    const renamed = {
      ...graph,
      layers: graph.layers.map((layer) => ({
        ...layer,
        name: `x_${layer.name}`,
        input: layer.input && `x_${layer.input}`,
      })),
    };
    const renamedOutputs = new Map([...outputs].map(([name, tensor]) => [`x_${name}`, tensor]));
    const map = neuronMapData(renamed, layerByName(renamed, "x_max_pool_1"), 0, renamedOutputs);
    expect(map.sourceLayer.name).toBe("x_relu_1_1");
    expect(map.sourceSize).toEqual([44, 44]);
    expect(map.outputSize).toEqual([22, 22]);
  });
});

describe("pixels", () => {
  it("clamps stale positions and finds the strongest pixel", () => {
    expect(clampPixel({ y: 99, x: -3 }, [5, 7])).toEqual({ y: 4, x: 0 });
    expect(strongestPixel(new Float32Array([0.1, -0.9, 0.5, 0.2]), 2)).toEqual({ y: 0, x: 1 });
  });
});

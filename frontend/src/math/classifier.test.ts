import { describe, expect, it } from "vitest";
import { decodeBundle } from "../api/bundle";
import { weightsByManifest } from "../api/explorer";
import { fixtureBytes, fixtureGraph } from "../test/fixtures";
import {
  denseColumn,
  flattenIndex,
  flattenSource,
  logitTerms,
  rounded,
  softmaxTerms,
  stepTrace,
} from "./classifier";
import { deriveLayers } from "./derive";

describe("flattenSource", () => {
  it("walks channels fastest, then columns, then rows, and flattenIndex inverts it", () => {
    const shape = [2, 3, 4];
    expect(flattenSource(0, shape)).toEqual({ y: 0, x: 0, channel: 0 });
    expect(flattenSource(5, shape)).toEqual({ y: 0, x: 1, channel: 1 });
    expect(flattenSource(23, shape)).toEqual({ y: 1, x: 2, channel: 3 });
    for (let i = 0; i < 24; i += 1) {
      const { y, x, channel } = flattenSource(i, shape);
      expect(flattenIndex(y, x, channel, shape)).toBe(i);
    }
  });
});

describe("stepTrace", () => {
  const shape = [2, 3, 4]; // 6 pixels of 4 channels
  it("moves pixel by pixel within one channel and wraps around the map", () => {
    const start = flattenIndex(0, 2, 1, shape);
    expect(flattenSource(stepTrace(start, "next", shape), shape)).toEqual({
      y: 1,
      x: 0,
      channel: 1,
    });
    expect(stepTrace(flattenIndex(1, 2, 3, shape), "next", shape)).toBe(
      flattenIndex(0, 0, 3, shape),
    );
    expect(stepTrace(flattenIndex(0, 0, 2, shape), "previous", shape)).toBe(
      flattenIndex(1, 2, 2, shape),
    );
  });
  it("moves between channels at the same pixel and wraps around the channels", () => {
    expect(stepTrace(flattenIndex(1, 1, 3, shape), "next channel", shape)).toBe(
      flattenIndex(1, 1, 0, shape),
    );
    expect(stepTrace(flattenIndex(1, 1, 0, shape), "previous channel", shape)).toBe(
      flattenIndex(1, 1, 3, shape),
    );
  });
  it("visits every element once in 24 steps", () => {
    const seen = new Set<number>();
    let index = 0;
    for (let i = 0; i < 24; i += 1) {
      seen.add(index);
      index = stepTrace(index, "next", shape);
      if (i % 6 === 5) index = stepTrace(index, "next channel", shape);
    }
    expect(seen.size).toBe(24);
  });
});

describe("the classifier of the small3 fixture", () => {
  const graph = fixtureGraph("small3");
  const bundle = decodeBundle(fixtureBytes("small3.bundle.pb"));
  const outputs = deriveLayers(graph.layers, bundle.tensors);
  const bytes = fixtureBytes("small3.weights.bin");
  const weights = weightsByManifest(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    graph.weights.tensors,
  );
  // Found by type and `input` links, not by name.
  const softmaxLayer = graph.layers.find((layer) => layer.type === "softmax");
  const dense = graph.layers.find(
    (layer) => layer.name === softmaxLayer?.input && layer.type === "dense",
  );
  const flat = outputs.get(dense?.input ?? "")?.data ?? new Float32Array();
  const kernel = weights.get(`${dense?.name ?? ""}/kernel`) ?? new Float32Array();
  const biases = weights.get(`${dense?.name ?? ""}/bias`) ?? new Float32Array();
  const logits = outputs.get(dense?.name ?? "")?.data ?? new Float32Array();
  const probabilities = outputs.get(softmaxLayer?.name ?? "")?.data ?? new Float32Array();

  it("has a 32-element flatten feeding 10 classes", () => {
    expect(flat.length).toBe(32);
    expect(logits.length).toBe(10);
  });

  it("gives each logit as Σ flatten × weight + bias, as the model computed it", () => {
    for (let unit = 0; unit < 10; unit += 1) {
      const terms = logitTerms(flat, denseColumn(kernel, 10, unit), biases[unit] ?? 0);
      expect(terms.products).toHaveLength(32);
      expect(Math.abs(terms.logit - (logits[unit] ?? NaN))).toBeLessThan(1e-5);
    }
  });

  it("gives each probability as exp(logit) / Σ exp(logits), as the model computed it", () => {
    let sum = 0;
    for (let unit = 0; unit < 10; unit += 1) {
      const terms = softmaxTerms(logits, unit);
      expect(Math.abs(terms.probability - (probabilities[unit] ?? NaN))).toBeLessThan(1e-5);
      expect(terms.exps[unit] ?? 0).toBeCloseTo(Math.exp(logits[unit] ?? 0), 6);
      expect(terms.total).toBeCloseTo(
        terms.exps.reduce((a, b) => a + b, 0),
        6,
      );
      sum += terms.probability;
    }
    expect(sum).toBeCloseTo(1, 10);
  });

  it("does not overflow for large logits", () => {
    expect(softmaxTerms([1000, 1000], 0).probability).toBe(0.5);
  });
});

describe("logitTerms", () => {
  it("adds the bias to the sum of value × weight (the fixtures' dense biases are all zero)", () => {
    expect(logitTerms([1, 2, -3], [0.5, -1, 2], 0.25)).toEqual({
      products: [0.5, -2, -6],
      sum: -7.5,
      bias: 0.25,
      logit: -7.25,
    });
  });
});

describe("rounded", () => {
  it("says when rounding hides digits", () => {
    expect(rounded(0.25, 4)).toEqual({ text: "0.2500", hidden: false });
    expect(rounded(-1.23456, 4)).toEqual({ text: "−1.235", hidden: true });
  });
});

import { describe, expect, it } from "vitest";
import { DEFAULT_STATE, formatUrlState, parseUrlState, sameImage, sameNeuron } from "./state";

const digest = "ab".repeat(32);

describe("URL state", () => {
  it("round-trips a shared link", () => {
    const state = {
      model: "tiny_vgg",
      version: 3,
      image: { kind: "example" as const, id: "val_1083" },
      scope: "module" as const,
      neuron: { layer: "conv_2_1", index: 4 },
      detail: null,
    };
    expect(formatUrlState(state)).toBe(
      "?model=tiny_vgg&version=3&example=val_1083&scope=module&neuron=conv_2_1%3A4",
    );
    expect(parseUrlState(formatUrlState(state))).toEqual(state);
  });

  it("holds the open detail view: a pixel of a map or the softmax", () => {
    const base = { ...DEFAULT_STATE, model: "tiny_vgg", neuron: { layer: "relu_1_1", index: 0 } };
    const pixel = { ...base, detail: { kind: "pixel" as const, y: 12, x: 0, channel: null } };
    expect(formatUrlState(pixel)).toBe("?model=tiny_vgg&neuron=relu_1_1%3A0&detail=12%2C0");
    expect(parseUrlState(formatUrlState(pixel))).toEqual(pixel);
    const softmax = {
      ...base,
      neuron: { layer: "softmax", index: 3 },
      detail: { kind: "softmax" as const },
    };
    expect(formatUrlState(softmax)).toBe("?model=tiny_vgg&neuron=softmax%3A3&detail=softmax");
    expect(parseUrlState(formatUrlState(softmax))).toEqual(softmax);
    expect(parseUrlState("?neuron=conv_1_1:2&detail=3,4").detail).toEqual({
      kind: "pixel",
      y: 3,
      x: 4,
      channel: null,
    });
    const channel = {
      ...base,
      neuron: { layer: "conv_2_1", index: 1 },
      detail: { kind: "pixel" as const, y: 3, x: 4, channel: 9 },
    };
    expect(formatUrlState(channel)).toBe("?model=tiny_vgg&neuron=conv_2_1%3A1&detail=3%2C4%2C9");
    expect(parseUrlState(formatUrlState(channel))).toEqual(channel);
  });

  it("drops a detail view without a neuron, and malformed ones", () => {
    expect(parseUrlState("?detail=3,4").detail).toBeNull();
    expect(formatUrlState({ ...DEFAULT_STATE, detail: { kind: "softmax" } })).toBe("");
    for (const bad of ["3", "3,", "-1,2", "1.5,2", "a,b", "softmaxx", "1,2,3,4", "1,2,"]) {
      expect(parseUrlState(`?neuron=conv_1_1:0&detail=${bad}`).detail, bad).toBeNull();
    }
  });

  it("addresses uploads by digest, which wins over an example", () => {
    expect(parseUrlState(`?image=${digest.toUpperCase()}&example=val_1`).image).toEqual({
      kind: "digest",
      digest,
    });
  });

  it("ignores malformed values instead of failing", () => {
    expect(parseUrlState("?version=-2&image=nothex&scope=weird&model=../x")).toEqual(DEFAULT_STATE);
    expect(parseUrlState("?version=1.5").version).toBeNull();
    expect(parseUrlState("?neuron=conv_1_1").neuron).toBeNull();
    expect(parseUrlState("?neuron=conv_1_1:x").neuron).toBeNull();
  });

  it("leaves the default scope out of the link", () => {
    expect(formatUrlState({ ...DEFAULT_STATE, model: "m" })).toBe("?model=m");
    expect(formatUrlState(DEFAULT_STATE)).toBe("");
  });

  it("compares images", () => {
    expect(sameImage({ kind: "example", id: "a" }, { kind: "example", id: "a" })).toBe(true);
    expect(sameImage({ kind: "example", id: "a" }, { kind: "digest", digest })).toBe(false);
    expect(sameImage(null, null)).toBe(true);
  });

  it("compares neurons", () => {
    expect(sameNeuron({ layer: "a", index: 1 }, { layer: "a", index: 1 })).toBe(true);
    expect(sameNeuron({ layer: "a", index: 1 }, { layer: "a", index: 2 })).toBe(false);
    expect(sameNeuron({ layer: "a", index: 1 }, null)).toBe(false);
    expect(sameNeuron(null, null)).toBe(true);
  });
});

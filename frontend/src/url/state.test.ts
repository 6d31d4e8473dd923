import { describe, expect, it } from "vitest";
import { DEFAULT_STATE, formatUrlState, parseUrlState, sameImage } from "./state";

const digest = "ab".repeat(32);

describe("URL state", () => {
  it("round-trips a shared link", () => {
    const state = { model: "tiny_vgg", version: 3, image: { kind: "example" as const, id: "val_1083" }, scope: "module" as const, neuron: { layer: "conv_2_1", index: 4 } };
    expect(formatUrlState(state)).toBe("?model=tiny_vgg&version=3&example=val_1083&scope=module&neuron=conv_2_1%3A4");
    expect(parseUrlState(formatUrlState(state))).toEqual(state);
  });

  it("addresses uploads by digest, which wins over an example", () => {
    expect(parseUrlState(`?image=${digest.toUpperCase()}&example=val_1`).image).toEqual({ kind: "digest", digest });
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
});

import { describe, expect, it } from "vitest";
import { DEFAULT_STATE, type UrlState } from "../url/state";
import { initialMode, storedMode } from "./mode";
import { normaliseCode, sharedOf, urlChangeOf } from "./shared";

const url: UrlState = {
  ...DEFAULT_STATE,
  model: "tiny_vgg",
  version: 3,
  image: { kind: "example", id: "val_1083" },
  scope: "module",
  neuron: { layer: "conv_2_1", index: 4 },
  detail: { kind: "pixel", y: 5, x: 7, channel: 2 },
  tab: "playground",
};

describe("the shared state", () => {
  it("goes from presenter to follower unchanged", () => {
    const shared = sharedOf(url);
    expect(urlChangeOf(JSON.parse(JSON.stringify(shared)))).toEqual({
      model: "tiny_vgg",
      version: 3,
      image: { kind: "example", id: "val_1083" },
      scope: "module",
      neuron: { layer: "conv_2_1", index: 4 },
      detail: { kind: "pixel", y: 5, x: 7, channel: 2 },
      tab: "playground",
    });
  });

  it("carries a digest, the softmax detail and the defaults", () => {
    const digest = "ab".repeat(32);
    const change = urlChangeOf(
      sharedOf({
        ...DEFAULT_STATE,
        model: "m",
        image: { kind: "digest", digest },
        neuron: { layer: "output", index: 1 },
        detail: { kind: "softmax" },
      }),
    );
    expect(change).toMatchObject({
      image: { kind: "digest", digest },
      detail: { kind: "softmax" },
      scope: "unit",
      tab: "explorer",
      version: null,
    });
  });

  it("drops a detail without a neuron, as a link does", () => {
    expect(sharedOf({ ...url, neuron: null }).detail).toBeNull();
    expect(urlChangeOf({ ...sharedOf(url), neuron: null })?.detail).toBeNull();
  });

  it("refuses what the link grammar refuses", () => {
    expect(urlChangeOf(null)).toBeNull();
    expect(urlChangeOf([1])).toBeNull();
    expect(urlChangeOf("state")).toBeNull();
    const hostile = urlChangeOf({
      model: "../x y",
      version: -2,
      image: { kind: "example", id: "a b" },
      scope: "all",
      neuron: { layer: "x", index: "3" },
      tab: "admin",
    });
    expect(hostile).toEqual({
      model: null,
      version: null,
      image: null,
      scope: "unit",
      neuron: null,
      detail: null,
      tab: "explorer",
    });
  });
});

describe("codes and modes", () => {
  it("reads a code however a student types it", () => {
    expect(normaliseCode(" k7p2qx ")).toBe("K7P-2QX");
    expect(normaliseCode("K7P-2QX")).toBe("K7P-2QX");
    expect(normaliseCode("K7P-2Q")).toBeNull();
    expect(normaliseCode("K7P_2QX")).toBeNull();
  });

  it("presents only with the token, follows otherwise, and survives a reload", () => {
    const token = (code: string) => (code === "K7P-2QX" ? "secret" : null);
    expect(initialMode("?present=K7P-2QX", null, token)).toEqual({
      kind: "presenting",
      code: "K7P-2QX",
      token: "secret",
    });
    expect(initialMode("?present=ABC-DEF", null, token)).toEqual({
      kind: "following",
      code: "ABC-DEF",
    });
    expect(initialMode("?follow=abcdef&model=x", null, token)).toEqual({
      kind: "following",
      code: "ABC-DEF",
    });
    expect(initialMode("?follow=nope", null, token)).toEqual({ kind: "none" });
    const kept = storedMode({ kind: "presenting", code: "K7P-2QX", token: "secret" });
    expect(kept).not.toContain("secret");
    expect(initialMode("", kept, token)).toEqual({
      kind: "presenting",
      code: "K7P-2QX",
      token: "secret",
    });
    expect(initialMode("", storedMode({ kind: "following", code: "ABC-DEF" }), token)).toEqual({
      kind: "following",
      code: "ABC-DEF",
    });
    expect(storedMode({ kind: "left", code: "ABC-DEF" })).toBeNull();
    expect(initialMode("", "{broken", token)).toEqual({ kind: "none" });
  });
});

import { describe, expect, it } from "vitest";
import { channelGradient, legendTicks, linearGradient } from "./legend";

describe("legendTicks", () => {
  it("gives min, 0 and max for a range across zero", () => {
    expect(legendTicks(-2, 2)).toEqual([
      { value: -2, at: 0 },
      { value: 0, at: 0.5 },
      { value: 2, at: 1 },
    ]);
  });

  it("puts zero where it lies in an asymmetric range", () => {
    expect(legendTicks(-1, 3)[1]).toEqual({ value: 0, at: 0.25 });
  });

  it("has no separate zero when zero is an end (the input channels, 0 to 1)", () => {
    expect(legendTicks(0, 1)).toEqual([
      { value: 0, at: 0 },
      { value: 1, at: 1 },
    ]);
  });

  it("gives one tick for an empty range", () => {
    expect(legendTicks(0, 0)).toEqual([{ value: 0, at: 0.5 }]);
  });
});

describe("gradients", () => {
  it("draws an input channel from black to its colour", () => {
    expect(channelGradient(1)).toEqual(["rgb(0, 0, 0)", "rgb(0, 255, 0)"]);
    expect(channelGradient(1, "grey")).toEqual(["rgb(0, 0, 0)", "rgb(255, 255, 255)"]);
    expect(linearGradient(channelGradient(0))).toBe(
      "linear-gradient(to right, rgb(0, 0, 0), rgb(255, 0, 0))",
    );
  });
});

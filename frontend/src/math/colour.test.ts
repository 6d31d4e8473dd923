import { describe, expect, it } from "vitest";
import { divergingScale, NEGATIVE, paintPlane, POSITIVE, RAMP_STEPS, rampIndex, rampTable, symmetricDomain } from "./colour";

describe("diverging colour scale", () => {
  it("maps zero to exactly white and the ends to red and blue", () => {
    const scale = divergingScale(2.5);
    expect(scale(0)).toBe("rgb(255, 255, 255)");
    expect(scale(-2.5)).toBe(NEGATIVE);
    expect(scale(2.5)).toBe(POSITIVE);
    expect(scale(99)).toBe(POSITIVE);
  });

  it("has a symmetric domain", () => {
    expect(symmetricDomain({ min: -1, max: 3 })).toEqual([-3, 0, 3]);
    expect(symmetricDomain({ min: -4, max: 0.5 })).toEqual([-4, 0, 4]);
  });

  it("paints zero white on canvas pixels, even for an all-zero map", () => {
    const table = rampTable();
    expect(rampIndex(0, 5)).toBe((RAMP_STEPS - 1) / 2);
    expect(rampIndex(0, 0)).toBe((RAMP_STEPS - 1) / 2);
    const pixels = new Uint8ClampedArray(12);
    paintPlane(new Float32Array([0, -5, 5]), 5, table, pixels);
    expect([...pixels.slice(0, 4)]).toEqual([255, 255, 255, 255]);
    expect([...pixels.slice(4, 7)]).toEqual([202, 0, 32]);
    expect([...pixels.slice(8, 11)]).toEqual([5, 113, 176]);
  });

  it("gives equal magnitudes of opposite sign equally distant ramp entries", () => {
    const middle = (RAMP_STEPS - 1) / 2;
    expect(rampIndex(1.3, 4) - middle).toBe(middle - rampIndex(-1.3, 4));
  });
});

import { interpolateRgb, piecewise } from "d3-interpolate";
import { scaleDiverging } from "d3-scale";
import { describe, expect, it } from "vitest";
import {
  contrast,
  currentPalette,
  divergingScale,
  isPaletteName,
  luminance,
  NEGATIVE,
  paintInputChannel,
  paintPlane,
  PALETTE_NAMES,
  PALETTES,
  paletteStops,
  POSITIVE,
  RAMP_STEPS,
  rampIndex,
  rampTable,
  setPalette,
  symmetricDomain,
} from "./colour";

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

  it("gives the colours d3's diverging scale and piecewise interpolateRgb give", () => {
    for (const name of PALETTE_NAMES) {
      const { negative, zero, positive } = PALETTES[name];
      const d3Ramp = piecewise(interpolateRgb, [negative, zero, positive]);
      const d3Scale = scaleDiverging(d3Ramp).domain([-2.5, 0, 2.5]).clamp(true);
      const scale = divergingScale(2.5, name);
      for (let value = -3; value <= 3; value += 0.001) {
        expect(scale(value)).toBe(d3Scale(value));
      }
      const table = rampTable(RAMP_STEPS, name);
      for (let i = 0; i < RAMP_STEPS; i += 1) {
        expect(`rgb(${[...table.subarray(i * 3, i * 3 + 3)].join(", ")})`).toBe(
          d3Ramp(i / (RAMP_STEPS - 1)),
        );
      }
    }
  });

  it("gives equal magnitudes of opposite sign equally distant ramp entries", () => {
    const middle = (RAMP_STEPS - 1) / 2;
    expect(rampIndex(1.3, 4) - middle).toBe(middle - rampIndex(-1.3, 4));
  });
});

describe("colour-blind-safe palette", () => {
  it("keeps zero white and uses orange and purple at the ends", () => {
    const scale = divergingScale(3, "orange-purple");
    expect(scale(0)).toBe("rgb(255, 255, 255)");
    expect(scale(-3)).toBe(PALETTES["orange-purple"].negative);
    expect(scale(3)).toBe(PALETTES["orange-purple"].positive);
    const table = rampTable(RAMP_STEPS, "orange-purple");
    const middle = ((RAMP_STEPS - 1) / 2) * 3;
    expect([...table.slice(middle, middle + 3)]).toEqual([255, 255, 255]);
    expect([...table.slice(0, 3)]).toEqual([230, 97, 1]);
  });

  it("tells negative from positive by lightness too, not only by hue", () => {
    // Orange and purple differ in luminance, so they stay apart when hue is lost.
    const { negative, positive } = PALETTES["orange-purple"];
    expect(Math.abs(luminance(negative) - luminance(positive))).toBeGreaterThan(0.1);
  });

  it("is what every painting function uses once chosen, until changed back", () => {
    expect(currentPalette()).toBe("red-blue");
    try {
      setPalette("orange-purple");
      expect(paletteStops().negative).toBe("rgb(230, 97, 1)");
      expect(divergingScale(1)(-1)).toBe("rgb(230, 97, 1)");
      const pixels = new Uint8ClampedArray(4);
      paintPlane(new Float32Array([2]), 2, rampTable(), pixels);
      expect([...pixels.slice(0, 3)]).toEqual([94, 60, 153]);
    } finally {
      setPalette("red-blue");
    }
    expect(divergingScale(1)(-1)).toBe(NEGATIVE);
  });

  it("recognises only the palettes it has", () => {
    expect(PALETTE_NAMES).toEqual(["red-blue", "orange-purple"]);
    expect(isPaletteName("orange-purple")).toBe(true);
    expect(isPaletteName("rainbow")).toBe(false);
    expect(isPaletteName(null)).toBe(false);
  });
});

describe("highlights on the heatmaps", () => {
  const ramp = (name: (typeof PALETTE_NAMES)[number]): string[] => {
    const table = rampTable(RAMP_STEPS, name);
    return Array.from({ length: RAMP_STEPS }, (_, i) => {
      const [r, g, b] = table.subarray(i * 3, i * 3 + 3);
      return `rgb(${r}, ${g}, ${b})`;
    });
  };

  it("measures contrast as WCAG does", () => {
    expect(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)")).toBeCloseTo(21);
    expect(contrast("rgb(119, 119, 119)", "rgb(255, 255, 255)")).toBeCloseTo(4.48, 2);
    expect(luminance("rgb(255, 255, 255)")).toBeCloseTo(1);
  });

  it("keeps at least 3:1 on every colour of the colour-blind ramp, ring or halo", () => {
    const { highlight, halo } = PALETTES["orange-purple"];
    const weakest = Math.min(
      ...[...ramp("orange-purple"), "rgb(250, 250, 250)"].map((colour) =>
        Math.max(contrast(highlight, colour), contrast(halo, colour)),
      ),
    );
    expect(weakest).toBeGreaterThanOrEqual(3);
    // The paper's amber alone would not: it vanishes on the orange end.
    expect(
      contrast(PALETTES["red-blue"].highlight, PALETTES["orange-purple"].negative),
    ).toBeLessThan(2);
  });
});

describe("input channels", () => {
  const plane = new Float32Array([0, 0.5, 1]);
  const painted = (channel: number, style: "colour" | "grey") => {
    const out = new Uint8ClampedArray(plane.length * 4);
    paintInputChannel(plane, channel, out, style);
    return [...out];
  };

  it("draws a channel black to its own colour", () => {
    expect(painted(2, "colour")).toEqual([0, 0, 0, 255, 0, 0, 128, 255, 0, 0, 255, 255]);
  });

  it("draws every channel black to white in grey", () => {
    expect(painted(0, "grey")).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
    expect(painted(1, "grey")).toEqual(painted(0, "grey"));
  });
});

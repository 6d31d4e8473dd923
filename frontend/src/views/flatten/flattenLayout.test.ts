import { describe, expect, it } from "vitest";
import { flattenIndex } from "../../math/classifier";
import { GROUP_GAP, flattenLayout, lensWindow } from "./flattenLayout";

const SHAPES = [
  [13, 13, 10], // Tiny VGG's max_pool_2
  [2, 2, 8], // the small3 fixture
  [5, 5, 1],
] as const;

describe("flattenLayout", () => {
  it("puts each channel's lines in its own group, groups a gap apart, within the budget", () => {
    for (const shape of SHAPES) {
      const layout = flattenLayout(shape, 520);
      const [height, width, channels] = shape;
      expect(layout.height).toBeLessThanOrEqual(Math.max(520, channels * 28 + (channels - 1) * 10));
      for (let channel = 0; channel < channels; channel += 1) {
        const top = layout.groupTops[channel] ?? NaN;
        const tops = Array.from({ length: height * width }, (_, pixel) =>
          layout.lineTop(pixel * channels + channel),
        );
        expect(Math.min(...tops)).toBeGreaterThanOrEqual(top);
        expect(Math.max(...tops) + layout.lineHeight).toBeLessThanOrEqual(
          top + layout.groupHeight + 1e-9,
        );
        expect(new Set(tops).size).toBe(height * width); // every line its own place
        if (channel > 0) {
          const previousEnd = (layout.groupTops[channel - 1] ?? NaN) + layout.groupHeight;
          expect(top - previousEnd).toBe(GROUP_GAP);
        }
      }
    }
  });

  it("finds the element under a y, the inverse of lineTop, and nothing in a gap", () => {
    for (const shape of SHAPES) {
      const layout = flattenLayout(shape, 520);
      const [height, width, channels] = shape;
      for (let index = 0; index < height * width * channels; index += 7) {
        const y = layout.lineTop(index) + layout.pitch / 2;
        const found = layout.elementAt(y);
        expect(found && found.position * channels + found.channel).toBe(index);
      }
      if (channels > 1) expect(layout.elementAt(layout.groupHeight + GROUP_GAP / 2)).toBeNull();
      expect(layout.elementAt(-1)).toBeNull();
      expect(layout.elementAt(layout.height + 1)).toBeNull();
    }
  });

  it("keeps maps between 28 and 64 px whatever the budget", () => {
    expect(flattenLayout([13, 13, 10], 200).mapSize).toBe(28);
    expect(flattenLayout([2, 2, 1], 2000).mapSize).toBe(64);
    expect(flattenLayout([13, 13, 10], 520).mapSize).toBe(43);
  });

  it("agrees with flattenIndex on which line is a pixel's", () => {
    const shape = [13, 13, 10] as const;
    const layout = flattenLayout(shape, 520);
    const found = layout.elementAt(layout.lineTop(flattenIndex(4, 7, 3, shape)) + 0.01);
    expect(found).toEqual({ channel: 3, position: 4 * 13 + 7 });
  });
});

describe("lensWindow", () => {
  it("shows radius elements on each side, shifted at the ends, never more than there are", () => {
    expect(lensWindow(50, 169, 6)).toEqual({ start: 44, end: 57 });
    expect(lensWindow(2, 169, 6)).toEqual({ start: 0, end: 13 });
    expect(lensWindow(168, 169, 6)).toEqual({ start: 156, end: 169 });
    expect(lensWindow(3, 4, 6)).toEqual({ start: 0, end: 4 });
  });
});

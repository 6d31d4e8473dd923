import { describe, expect, it } from "vitest";
import { isInside, placeOverlay, type Rect, type Size } from "./placement";

const DESKTOP: Size = { width: 1400, height: 900 };
const SMALL: Size = { width: 1024, height: 768 };
const screen = (viewport: Size): Rect => ({ top: 0, left: 0, ...viewport });
const box = (placed: { top: number; left: number; width: number }, height: number): Rect => ({
  top: placed.top,
  left: placed.left,
  width: placed.width,
  height,
});

describe("placeOverlay", () => {
  it("goes below the anchor, centred on it, when there is room", () => {
    const anchor = { top: 100, left: 600, width: 40, height: 40 };
    const placed = placeOverlay(anchor, { width: 400, height: 300 }, DESKTOP, { gap: 8 });
    expect(placed.side).toBe("below");
    expect(placed.top).toBe(148);
    expect(placed.left).toBe(420);
    expect(placed.width).toBe(400);
  });

  it("goes above an anchor near the bottom (the neuron at 855 px of issue 15)", () => {
    const anchor = { top: 820, left: 300, width: 30, height: 30 };
    const placed = placeOverlay(anchor, { width: 700, height: 500 }, DESKTOP, { gap: 8 });
    expect(placed.side).toBe("above");
    expect(placed.top + 500).toBe(812);
    expect(isInside(box(placed, 500), screen(DESKTOP))).toBe(true);
  });

  it("goes beside the anchor when neither above nor below has room", () => {
    const anchor = { top: 380, left: 100, width: 40, height: 40 };
    const placed = placeOverlay(anchor, { width: 700, height: 600 }, DESKTOP, { gap: 8 });
    expect(placed.side).toBe("right");
    expect(placed.left).toBe(148);
    expect(isInside(box(placed, 600), screen(DESKTOP))).toBe(true);
  });

  it("goes left of an anchor at the right edge", () => {
    const anchor = { top: 380, left: 1300, width: 40, height: 40 };
    const placed = placeOverlay(anchor, { width: 700, height: 600 }, DESKTOP);
    expect(placed.side).toBe("left");
    expect(placed.left + placed.width).toBeLessThanOrEqual(1300);
  });

  it("clamps horizontally: an anchor at the left edge does not push the overlay out", () => {
    const anchor = { top: 100, left: 0, width: 20, height: 20 };
    const placed = placeOverlay(anchor, { width: 600, height: 200 }, SMALL, { margin: 16 });
    expect(placed.left).toBe(16);
    expect(isInside(box(placed, 200), screen(SMALL))).toBe(true);
  });

  it("covers the anchor, inside the viewport, when no side has room", () => {
    const anchor = { top: 300, left: 400, width: 200, height: 200 };
    const placed = placeOverlay(anchor, { width: 980, height: 700 }, SMALL, { margin: 16 });
    expect(placed.side).toBe("over");
    expect(isInside(box(placed, 700), screen(SMALL))).toBe(true);
  });

  it("content taller or wider than the viewport is limited to it (it scrolls inside)", () => {
    for (const viewport of [DESKTOP, SMALL]) {
      const anchor = { top: 700, left: 900, width: 30, height: 30 };
      const placed = placeOverlay(anchor, { width: 2000, height: 3000 }, viewport, { margin: 16 });
      expect(placed.width).toBe(viewport.width - 32);
      expect(placed.maxHeight).toBe(viewport.height - 32);
      expect(placed.top).toBe(16);
      expect(placed.left).toBe(16);
      expect(isInside(box(placed, placed.maxHeight), screen(viewport))).toBe(true);
    }
  });

  it("anchors outside the viewport (scrolled away) still give a placement inside it", () => {
    const anchors = [
      { top: -500, left: 200, width: 30, height: 30 },
      { top: 2000, left: 200, width: 30, height: 30 },
      { top: 300, left: -400, width: 30, height: 30 },
      { top: 300, left: 3000, width: 30, height: 30 },
    ];
    for (const anchor of anchors) {
      const placed = placeOverlay(anchor, { width: 500, height: 400 }, SMALL);
      expect(isInside(box(placed, 400), screen(SMALL))).toBe(true);
    }
  });

  it("without an anchor it is centred", () => {
    const placed = placeOverlay(null, { width: 400, height: 200 }, DESKTOP);
    expect(placed).toMatchObject({ top: 350, left: 500, side: "over" });
  });

  it("keeps the side it had while that side still fits", () => {
    const anchor = { top: 420, left: 600, width: 40, height: 40 };
    const size = { width: 400, height: 300 };
    expect(placeOverlay(anchor, size, DESKTOP).side).toBe("below");
    expect(placeOverlay(anchor, size, DESKTOP, { prefer: "above" }).side).toBe("above");
    // A preferred side without room is given up.
    expect(
      placeOverlay(anchor, { width: 400, height: 440 }, DESKTOP, { prefer: "above" }).side,
    ).toBe("right");
  });

  it("is always inside the viewport, for a grid of anchors and sizes", () => {
    for (const viewport of [DESKTOP, SMALL, { width: 320, height: 480 }]) {
      for (let top = -100; top <= viewport.height + 100; top += 97) {
        for (let left = -100; left <= viewport.width + 100; left += 131) {
          for (const size of [
            { width: 300, height: 200 },
            { width: 940, height: 720 },
            { width: 1500, height: 1200 },
          ]) {
            const placed = placeOverlay({ top, left, width: 36, height: 36 }, size, viewport);
            const height = Math.min(size.height, placed.maxHeight);
            expect(isInside(box(placed, height), screen(viewport))).toBe(true);
          }
        }
      }
    }
  });
});

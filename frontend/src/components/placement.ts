/**
 * Where an overlay (a detail view's dialog) goes: next to what was clicked, and always
 * wholly inside the viewport. Pure arithmetic on rectangles, so it is unit-tested
 * (placement.test.ts) and the component only measures and applies it.
 */

export interface Size {
  width: number;
  height: number;
}

/** A rectangle in viewport coordinates (what getBoundingClientRect gives). */
export interface Rect extends Size {
  top: number;
  left: number;
}

/** Which side of the anchor the overlay sits on; "over" when no side has room. */
export type Side = "below" | "above" | "right" | "left" | "over";

export interface Placement {
  top: number;
  left: number;
  /** The overlay's size once clamped: content taller than maxHeight scrolls inside it. */
  width: number;
  maxHeight: number;
  side: Side;
}

export interface PlacementOptions {
  /** Free space kept between the overlay and the viewport's edges. */
  margin?: number;
  /** Space between the anchor and the overlay. */
  gap?: number;
  /** The side it had before: kept while it still fits, so the overlay does not jump. */
  prefer?: Side;
}

const SIDES: readonly Exclude<Side, "over">[] = ["below", "above", "right", "left"];

/**
 * Places an overlay of (natural) `size` near `anchor` inside `viewport`. Tries the preferred
 * side, then below, above, right and left of the anchor; the first where the whole overlay
 * fits wins. Without room on any side (or without an anchor) it overlaps, clamped into the
 * viewport. The overlay is never wider or taller than the viewport minus its margins.
 */
export function placeOverlay(
  anchor: Rect | null,
  size: Size,
  viewport: Size,
  options: PlacementOptions = {},
): Placement {
  const margin = Math.max(0, options.margin ?? 16);
  const gap = options.gap ?? 8;
  const maxWidth = Math.max(0, viewport.width - 2 * margin);
  const maxHeight = Math.max(0, viewport.height - 2 * margin);
  const width = Math.min(Math.max(0, size.width), maxWidth);
  const height = Math.min(Math.max(0, size.height), maxHeight);
  const clampLeft = (left: number) =>
    Math.min(Math.max(left, margin), Math.max(margin, viewport.width - margin - width));
  const clampTop = (top: number) =>
    Math.min(Math.max(top, margin), Math.max(margin, viewport.height - margin - height));
  const result = (top: number, left: number, side: Side): Placement => ({
    top: Math.round(clampTop(top)),
    left: Math.round(clampLeft(left)),
    width: Math.round(width),
    maxHeight: Math.round(maxHeight),
    side,
  });

  if (anchor === null) {
    return result((viewport.height - height) / 2, (viewport.width - width) / 2, "over");
  }
  const bottom = anchor.top + anchor.height;
  const right = anchor.left + anchor.width;
  const centreX = anchor.left + anchor.width / 2 - width / 2;
  const centreY = anchor.top + anchor.height / 2 - height / 2;
  const fitsX = (left: number) => left >= margin && left + width <= viewport.width - margin;
  const fitsY = (top: number) => top >= margin && top + height <= viewport.height - margin;
  const candidates: Record<Exclude<Side, "over">, { top: number; left: number; fits: boolean }> = {
    below: { top: bottom + gap, left: centreX, fits: fitsY(bottom + gap) },
    above: {
      top: anchor.top - gap - height,
      left: centreX,
      fits: fitsY(anchor.top - gap - height),
    },
    right: { top: centreY, left: right + gap, fits: fitsX(right + gap) },
    left: { top: centreY, left: anchor.left - gap - width, fits: fitsX(anchor.left - gap - width) },
  };
  const prefer = options.prefer;
  const preferred = prefer !== undefined && prefer !== "over" ? [prefer] : [];
  for (const side of [...preferred, ...SIDES]) {
    const candidate = candidates[side];
    if (candidate.fits) return result(candidate.top, candidate.left, side);
  }
  // No side has room: as close under the anchor as the viewport allows (it may cover it).
  return result(bottom + gap, centreX, "over");
}

/** Whether `inner` lies wholly inside `outer` (to a tolerance of a pixel's rounding). */
export function isInside(inner: Rect, outer: Rect, tolerance = 0.5): boolean {
  return (
    inner.left >= outer.left - tolerance &&
    inner.top >= outer.top - tolerance &&
    inner.left + inner.width <= outer.left + outer.width + tolerance &&
    inner.top + inner.height <= outer.top + outer.height + tolerance
  );
}

/** Where the flatten view puts each channel's map and each flattened element's line. */

export interface FlattenLayout {
  /** Vertical distance between two lines of one channel. */
  gap: number;
  lineHeight: number;
  mapSize: number;
  /** Top of each channel's slot. */
  slotTops: number[];
  slotHeight: number;
  height: number;
  /** y of the top of line `index` (flattened index: channel fastest). */
  lineTop: (index: number) => number;
}

const TARGET_HEIGHT = 680;
const MAX_GAP = 8;
const MIN_MAP = 28;
const MAX_MAP = 64;
const SLOT_GAP = 6;

export function flattenLayout(shape: readonly [number, number, number]): FlattenLayout {
  const [height, width, channels] = shape;
  const perChannel = height * width;
  const count = perChannel * channels;
  const gap = Math.min(MAX_GAP, TARGET_HEIGHT / Math.max(count, 1));
  const linesHeight = perChannel * gap;
  const mapSize = Math.min(MAX_MAP, Math.max(MIN_MAP, linesHeight));
  const slotHeight = Math.max(linesHeight, mapSize) + SLOT_GAP;
  const slotTops = Array.from({ length: channels }, (_, channel) => channel * slotHeight);
  const lineOffset = (slotHeight - SLOT_GAP - linesHeight) / 2;
  return {
    gap,
    lineHeight: gap > 2 ? gap - 1 : gap,
    mapSize,
    slotTops,
    slotHeight,
    height: channels * slotHeight,
    lineTop: (index) =>
      (index % channels) * slotHeight + lineOffset + Math.floor(index / channels) * gap,
  };
}

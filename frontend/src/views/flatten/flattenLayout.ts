/**
 * Where the flatten view puts each channel's map, its group of flattened lines and the gap
 * between groups, and which elements its lens magnifies. The groups share one height
 * budget, so a model with many small maps and one with few large ones both fit.
 */

export interface FlattenLayout {
  mapSize: number;
  /** Vertical distance between two lines of one group (may be under a pixel). */
  pitch: number;
  lineHeight: number;
  /** Top of each channel's group (its map and its lines). */
  groupTops: number[];
  /** Height of one group; consecutive groups are GROUP_GAP apart. */
  groupHeight: number;
  /** Offset of the first line below its group's top (short groups are centred). */
  linesOffset: number;
  height: number;
  /** y of the top of line `index` (flattened index: channel fastest). */
  lineTop: (index: number) => number;
  /** The channel and the position in it under y, or null in a gap or outside. */
  elementAt: (y: number) => { channel: number; position: number } | null;
}

export const GROUP_GAP = 10;
const MIN_MAP = 28;
const MAX_MAP = 64;
const MAX_PITCH = 10;

/** The groups of an H x W x C map layer within `maxHeight` px (more if the maps need it). */
export function flattenLayout(
  shape: readonly [number, number, number],
  maxHeight: number,
): FlattenLayout {
  const [height, width, channels] = shape;
  const perChannel = Math.max(1, height * width);
  const groups = Math.max(1, channels);
  const share = (maxHeight - GROUP_GAP * (groups - 1)) / groups;
  const mapSize = Math.round(Math.min(MAX_MAP, Math.max(MIN_MAP, share)));
  const pitch = Math.min(MAX_PITCH, mapSize / perChannel);
  const groupHeight = mapSize;
  const linesOffset = Math.max(0, (groupHeight - pitch * perChannel) / 2);
  const slot = groupHeight + GROUP_GAP;
  const groupTops = Array.from({ length: groups }, (_, channel) => channel * slot);
  return {
    mapSize,
    pitch,
    lineHeight: pitch > 3 ? pitch - 1 : pitch,
    groupTops,
    groupHeight,
    linesOffset,
    height: groups * slot - GROUP_GAP,
    lineTop: (index) => (index % groups) * slot + linesOffset + Math.floor(index / groups) * pitch,
    elementAt: (y) => {
      const channel = Math.floor(y / slot);
      const inLines = y - channel * slot - linesOffset;
      if (channel < 0 || channel >= groups || inLines < 0) return null;
      const position = Math.floor(inLines / pitch);
      return position < perChannel ? { channel, position } : null;
    },
  };
}

/**
 * The positions the lens shows around `position` of a group of `count`: `radius` on each
 * side, shifted at the ends of the group so the lens always shows as many as it can.
 */
export function lensWindow(
  position: number,
  count: number,
  radius: number,
): { start: number; end: number } {
  const size = Math.min(count, 2 * radius + 1);
  const start = Math.max(0, Math.min(position - radius, count - size));
  return { start, end: start + size };
}

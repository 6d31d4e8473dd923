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
  /** Height of one group (standalone, consecutive groups are GROUP_GAP apart). */
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
  const groups = Math.max(1, shape[2]);
  const share = (maxHeight - GROUP_GAP * (groups - 1)) / groups;
  const mapSize = Math.round(Math.min(MAX_MAP, Math.max(MIN_MAP, share)));
  const slot = mapSize + GROUP_GAP;
  const groupTops = Array.from({ length: groups }, (_, channel) => channel * slot);
  return alignedFlattenLayout(shape, groupTops, mapSize);
}

/**
 * The groups on given rows: each channel's group beside its map of side `mapSize` whose top
 * is `groupTops[channel]` (in place, the overview's neurons of the last map layer).
 */
export function alignedFlattenLayout(
  shape: readonly [number, number, number],
  groupTops: number[],
  mapSize: number,
): FlattenLayout {
  const [height, width, channels] = shape;
  const perChannel = Math.max(1, height * width);
  const groups = Math.max(1, channels);
  const pitch = Math.min(MAX_PITCH, mapSize / perChannel);
  const groupHeight = mapSize;
  const linesOffset = Math.max(0, (groupHeight - pitch * perChannel) / 2);
  const top = (channel: number) => groupTops[channel] ?? 0;
  return {
    mapSize,
    pitch,
    lineHeight: pitch > 3 ? pitch - 1 : pitch,
    groupTops,
    groupHeight,
    linesOffset,
    height: Math.max(0, ...groupTops.map((at) => at + groupHeight)),
    lineTop: (index) => top(index % groups) + linesOffset + Math.floor(index / groups) * pitch,
    elementAt: (y) => {
      const channel = groupTops.findIndex((at) => y >= at && y < at + groupHeight);
      if (channel < 0) return null;
      const inLines = y - top(channel) - linesOffset;
      if (inLines < 0) return null;
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

/**
 * The flatten fan: each channel's map with, beside it, its group of flattened elements (one
 * short line each, coloured like its pixel, in reading order), and an edge from every line
 * to the class coloured by its weight (in place, the maps are the overview's own neurons and
 * the edges end at the class row). The traced element is followed from its pixel
 * through its line and its edge to the class; a bracket marks what the lens magnifies.
 */
import { useEffect, useMemo, type KeyboardEvent, type PointerEvent } from "react";
import {
  flattenIndex,
  flattenSource,
  rounded,
  stepTrace,
  type TraceStep,
} from "../../math/classifier";
import { divergingScale } from "../../math/colour";
import { Heatmap } from "../overview/Heatmap";
import { pointAtNeuron } from "../overview/inplace";
import type { ClassifierData } from "./classifierData";
import type { FlattenLayout } from "./flattenLayout";

/** Where the fan's parts go, in the fan's own coordinates. */
export interface FanPlacement {
  width: number;
  height: number;
  mapX: number;
  linesX: number;
  /** Where the edges meet: the class's dot, or in place the class row's left end. */
  classX: number;
  classY: number;
  /**
   * Standalone, the fan draws the maps and the class; in place the overview's own neurons
   * and class row serve, and the fan only catches the pointer over the maps.
   */
  inPlace: boolean;
}

interface FlattenLinesProps {
  data: ClassifierData;
  layout: FlattenLayout;
  placement: FanPlacement;
  traced: number | null;
  /** Positions (in the traced element's group) the lens shows. */
  lens: { start: number; end: number } | null;
  onTrace: (index: number) => void;
}

const MAP_GAP = 16;
const LINE_LENGTH = 24;
const LABEL_WIDTH = 104;
/** Up to this many edges each is drawn thick enough to follow by eye. */
const FEW_EDGES = 200;
const STEPS: Record<string, TraceStep> = {
  ArrowUp: "previous",
  ArrowDown: "next",
  ArrowLeft: "previous channel",
  ArrowRight: "next channel",
};

/** The fan on its own: maps on the left, edges `fanWidth` wide, the class on the middle row. */
export function standaloneFan(layout: FlattenLayout, fanWidth: number): FanPlacement {
  const linesX = layout.mapSize + MAP_GAP;
  const classX = linesX + LINE_LENGTH + fanWidth;
  return {
    width: classX + LABEL_WIDTH,
    height: layout.height,
    mapX: 0,
    linesX,
    classX,
    classY: layout.height / 2,
    inPlace: false,
  };
}

/** The least gap the fan needs in place: room for the lines and edges to fan out. */
export const IN_PLACE_GAP = MAP_GAP + LINE_LENGTH + 120;

/**
 * The fan in the overview's gap (a `width` x `height` layer over the overview): the lines
 * just right of the maps at `mapX` (the gap opens at `gapLeft`), the edges ending at the
 * class row's left end.
 */
export function gapFan(
  size: { width: number; height: number },
  mapX: number,
  gapLeft: number,
  classAt: { x: number; y: number },
): FanPlacement {
  return {
    ...size,
    mapX,
    linesX: gapLeft + MAP_GAP,
    classX: classAt.x,
    classY: classAt.y,
    inPlace: true,
  };
}

export function FlattenLines({
  data,
  layout,
  placement,
  traced,
  lens,
  onTrace,
}: FlattenLinesProps) {
  const count = data.flat.length;
  const [mapHeight, mapWidth, channels] = data.sourceShape;
  const pixelColour = useMemo(() => divergingScale(data.sourceMagnitude), [data.sourceMagnitude]);
  const weightColour = useMemo(() => divergingScale(data.weightMagnitude), [data.weightMagnitude]);
  const { width, height, mapX, linesX, classX, classY, inPlace } = placement;
  const cell = layout.mapSize / Math.max(mapHeight, mapWidth);
  const centre = (index: number) => layout.lineTop(index) + layout.lineHeight / 2;
  const marked = traced === null ? null : flattenSource(traced, data.sourceShape);
  // In place the maps lie over the overview's neurons and catch the pointer: they tell the
  // overview which one it is over (for its info line), until it leaves or the fan goes.
  useEffect(() => () => pointAtNeuron(null), []);

  const onMapPointer = (channel: number) => (event: PointerEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const row = Math.floor(((event.clientY - box.top) / box.height) * mapHeight);
    const column = Math.floor(((event.clientX - box.left) / box.width) * mapWidth);
    const y = Math.min(mapHeight - 1, Math.max(0, row));
    const x = Math.min(mapWidth - 1, Math.max(0, column));
    onTrace(flattenIndex(y, x, channel, data.sourceShape));
  };
  const onGroupPointer = (event: PointerEvent<SVGRectElement>) => {
    const box = event.currentTarget.ownerSVGElement?.getBoundingClientRect();
    const found = box ? layout.elementAt(event.clientY - box.top) : null;
    if (found) onTrace(found.position * channels + found.channel);
  };
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const step = STEPS[event.key];
    if (!step) return;
    event.preventDefault();
    onTrace(stepTrace(traced ?? 0, step, data.sourceShape));
  };

  return (
    <div className="flatten-lines" style={{ width, height }}>
      <svg
        width={width}
        height={height}
        tabIndex={0}
        role="group"
        className={traced === null ? undefined : "flatten-tracing"}
        onKeyDown={onKeyDown}
        onFocus={() => traced === null && onTrace(0)}
        aria-label={`${count} flattened values of ${data.sourceLayer.name} in ${channels} groups, one per map; up and down arrows move within a map, left and right to the next map`}
        data-testid="flatten-svg"
      >
        <g className={count <= FEW_EDGES ? "flatten-edges flatten-edges-few" : "flatten-edges"}>
          {Array.from({ length: count }, (_, i) => (
            <line
              key={i}
              x1={linesX + LINE_LENGTH}
              y1={centre(i)}
              x2={classX}
              y2={classY}
              stroke={weightColour(data.weights[i] ?? 0)}
            />
          ))}
        </g>
        {layout.groupTops.map((top, channel) => (
          <rect
            key={channel}
            className="flatten-group"
            x={linesX - 3}
            y={top}
            width={LINE_LENGTH + 6}
            height={layout.groupHeight}
            data-testid="flatten-group"
            data-channel={channel}
            onPointerMove={onGroupPointer}
            onPointerDown={onGroupPointer}
          />
        ))}
        <g pointerEvents="none">
          {Array.from({ length: count }, (_, i) => (
            <rect
              key={i}
              className="flatten-line"
              data-index={i}
              x={linesX}
              y={layout.lineTop(i)}
              width={LINE_LENGTH}
              height={layout.lineHeight}
              fill={pixelColour(data.flat[i] ?? 0)}
            />
          ))}
        </g>
        {traced !== null && marked !== null && (
          <g
            className="flatten-highlight"
            data-testid="flatten-highlight"
            data-index={traced}
            pointerEvents="none"
          >
            {lens && (
              <rect
                className="flatten-lens-bracket"
                data-testid="flatten-lens-bracket"
                x={linesX - 5}
                y={layout.lineTop(lens.start * channels + marked.channel) - 2}
                width={LINE_LENGTH + 10}
                height={(lens.end - lens.start) * layout.pitch + 4}
              />
            )}
            <line
              className="flatten-trace"
              x1={mapX + (marked.x + 0.5) * cell}
              y1={(layout.groupTops[marked.channel] ?? 0) + (marked.y + 0.5) * cell}
              x2={linesX}
              y2={centre(traced)}
            />
            <line
              x1={linesX + LINE_LENGTH}
              y1={centre(traced)}
              x2={classX}
              y2={classY}
              stroke="#111"
              strokeWidth={5}
            />
            <line
              x1={linesX + LINE_LENGTH}
              y1={centre(traced)}
              x2={classX}
              y2={classY}
              stroke={weightColour(data.weights[traced] ?? 0)}
              strokeWidth={3}
            />
            <rect
              x={linesX - 3}
              y={centre(traced) - 3}
              width={LINE_LENGTH + 6}
              height={6}
              fill={pixelColour(data.flat[traced] ?? 0)}
              stroke="#111"
              strokeWidth={1.5}
            />
          </g>
        )}
        {!inPlace && (
          <>
            <circle cx={classX} cy={classY} r={8} className="flatten-class" />
            <text x={classX + 12} y={classY - 6} className="flatten-class-label">
              {data.className}
            </text>
            <text x={classX + 12} y={classY + 12} className="flatten-class-logit">
              logit {rounded(data.logit.logit, 4).text}
            </text>
          </>
        )}
      </svg>
      {data.planes.map((plane, channel) => (
        <div
          key={channel}
          className={inPlace ? "flatten-map flatten-map-over" : "flatten-map"}
          style={{
            left: mapX,
            top: layout.groupTops[channel] ?? 0,
            width: layout.mapSize,
            height: layout.mapSize,
          }}
          onPointerMove={onMapPointer(channel)}
          onPointerDown={onMapPointer(channel)}
          onPointerEnter={
            inPlace
              ? () => pointAtNeuron({ layer: data.sourceLayer.name, index: channel })
              : undefined
          }
          onPointerLeave={inPlace ? () => pointAtNeuron(null) : undefined}
          data-testid="flatten-map"
          data-channel={channel}
        >
          {!inPlace && (
            <Heatmap
              plane={plane}
              height={mapHeight}
              width={mapWidth}
              magnitude={data.sourceMagnitude}
              displaySize={layout.mapSize}
            />
          )}
          {marked?.channel === channel && (
            <span
              className="flatten-pixel"
              data-testid="flatten-pixel"
              style={{ top: marked.y * cell, left: marked.x * cell, width: cell, height: cell }}
            />
          )}
        </div>
      ))}
    </div>
  );
}

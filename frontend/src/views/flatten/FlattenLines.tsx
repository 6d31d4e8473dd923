/**
 * Every element of the flattened layer as a short line coloured like its source pixel,
 * grouped by source channel beside that channel's map, with an edge to the class coloured
 * by its weight. Pointing at a pixel or a line (or arrow keys) highlights one element.
 */
import { useMemo, type KeyboardEvent, type PointerEvent } from "react";
import { flattenIndex, flattenSource } from "../../math/classifier";
import { divergingScale } from "../../math/colour";
import { Heatmap } from "../overview/Heatmap";
import type { ClassifierData } from "./classifierData";
import { flattenLayout } from "./flattenLayout";

interface FlattenLinesProps {
  data: ClassifierData;
  width: number;
  hovered: number | null;
  onHover: (index: number | null) => void;
}

const LINE_LENGTH = 28;
const MAP_GAP = 36;

export function FlattenLines({ data, width, hovered, onHover }: FlattenLinesProps) {
  const layout = useMemo(() => flattenLayout(data.sourceShape), [data.sourceShape]);
  const count = data.flat.length;
  const pixelColour = useMemo(() => divergingScale(data.sourceMagnitude), [data.sourceMagnitude]);
  const weightColour = useMemo(() => divergingScale(data.weightMagnitude), [data.weightMagnitude]);
  const linesX = layout.mapSize + MAP_GAP;
  const classX = width - 12;
  const classY = layout.height / 2;
  const [mapHeight, mapWidth] = data.sourceShape;
  const centre = (index: number) => layout.lineTop(index) + layout.lineHeight / 2;

  const onMapPointer = (channel: number) => (event: PointerEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const y = Math.min(
      mapHeight - 1,
      Math.floor(((event.clientY - box.top) / box.height) * mapHeight),
    );
    const x = Math.min(
      mapWidth - 1,
      Math.floor(((event.clientX - box.left) / box.width) * mapWidth),
    );
    onHover(flattenIndex(Math.max(0, y), Math.max(0, x), channel, data.sourceShape));
  };
  const onLinePointer = (event: PointerEvent<SVGGElement>) => {
    const index = Number((event.target as Element).getAttribute("data-index"));
    if (Number.isInteger(index) && index >= 0 && index < count) onHover(index);
  };
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const step =
      event.key === "ArrowDown" || event.key === "ArrowRight"
        ? 1
        : event.key === "ArrowUp" || event.key === "ArrowLeft"
          ? -1
          : 0;
    if (step === 0) return;
    event.preventDefault();
    onHover(((hovered ?? -step) + step + count) % count);
  };
  const marked = hovered === null ? null : flattenSource(hovered, data.sourceShape);
  const cell = layout.mapSize / Math.max(mapHeight, mapWidth);

  return (
    <div
      className="flatten-lines"
      style={{ width, height: layout.height }}
      onPointerLeave={() => onHover(null)}
    >
      <svg
        width={width}
        height={layout.height}
        tabIndex={0}
        role="group"
        onKeyDown={onKeyDown}
        onFocus={() => hovered === null && onHover(0)}
        aria-label={`${count} flattened values of ${data.sourceLayer.name}; arrow keys move between them`}
        data-testid="flatten-svg"
      >
        <g className="flatten-edges">
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
        <g onPointerMove={onLinePointer}>
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
        {hovered !== null && (
          <g
            className="flatten-highlight"
            data-testid="flatten-highlight"
            data-index={hovered}
            pointerEvents="none"
          >
            <line
              x1={linesX + LINE_LENGTH}
              y1={centre(hovered)}
              x2={classX}
              y2={classY}
              stroke={weightColour(data.weights[hovered] ?? 0)}
              strokeWidth={3}
            />
            <rect
              x={linesX - 3}
              y={centre(hovered) - 3}
              width={LINE_LENGTH + 6}
              height={6}
              fill={pixelColour(data.flat[hovered] ?? 0)}
              stroke="#111"
              strokeWidth={1.5}
            />
          </g>
        )}
        <circle cx={classX} cy={classY} r={8} className="flatten-class" />
        <text x={classX} y={classY + 24} textAnchor="end" className="flatten-class-label">
          {data.className} ({data.denseLayer.name})
        </text>
      </svg>
      {data.planes.map((plane, channel) => (
        <div
          key={channel}
          className="flatten-map"
          style={{
            top: layout.slotTops[channel] ?? 0,
            width: layout.mapSize,
            height: layout.mapSize,
          }}
          onPointerMove={onMapPointer(channel)}
          data-testid="flatten-map"
        >
          <Heatmap
            plane={plane}
            height={mapHeight}
            width={mapWidth}
            magnitude={data.sourceMagnitude}
            displaySize={layout.mapSize}
          />
          {marked?.channel === channel && (
            <span
              className="flatten-pixel"
              style={{ top: marked.y * cell, left: marked.x * cell, width: cell, height: cell }}
            />
          )}
        </div>
      ))}
    </div>
  );
}

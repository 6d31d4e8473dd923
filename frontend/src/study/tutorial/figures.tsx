/** Static SVG figures for the tutorial: number grids, arrows, bars and the network diagram. */
import { scaleLinear } from "d3-scale";
import type { ReactNode } from "react";
import type { Grid, LayerShape } from "./figureMath";

const CELL = 30;

export interface Highlight {
  y: number;
  x: number;
  size: number;
  colour: string;
}

interface GridProps {
  values: Grid;
  x: number;
  y: number;
  label: string;
  highlights?: Highlight[];
  /** Cells drawn grey (padding). */
  muted?: (y: number, x: number) => boolean;
  cell?: number;
}

export function NumberGrid({
  values,
  x,
  y,
  label,
  highlights = [],
  muted,
  cell = CELL,
}: GridProps) {
  return (
    <g transform={`translate(${x},${y})`}>
      <text className="figure-label" x={0} y={-8}>
        {label}
      </text>
      {values.map((row, i) =>
        row.map((value, j) => (
          <g key={`${i}-${j}`} transform={`translate(${j * cell},${i * cell})`}>
            <rect
              width={cell}
              height={cell}
              className={muted?.(i, j) ? "cell cell-muted" : "cell"}
            />
            <text x={cell / 2} y={cell / 2 + 5} textAnchor="middle" className="cell-value">
              {formatCell(value)}
            </text>
          </g>
        )),
      )}
      {highlights.map((box, index) => (
        <rect
          key={index}
          x={box.x * cell}
          y={box.y * cell}
          width={box.size * cell}
          height={box.size * cell}
          fill="none"
          stroke={box.colour}
          strokeWidth={3}
        />
      ))}
    </g>
  );
}

function formatCell(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

export function Arrow({
  from,
  to,
  label,
}: {
  from: [number, number];
  to: [number, number];
  label?: string;
}) {
  return (
    <g className="figure-arrow">
      <line x1={from[0]} y1={from[1]} x2={to[0]} y2={to[1]} markerEnd="url(#arrow-head)" />
      {label && (
        <text x={(from[0] + to[0]) / 2} y={(from[1] + to[1]) / 2 - 8} textAnchor="middle">
          {label}
        </text>
      )}
    </g>
  );
}

/** A figure: an SVG with a text alternative, since the figure carries part of the lesson. */
export function Figure({
  width,
  height,
  description,
  caption,
  children,
}: {
  width: number;
  height: number;
  description: string;
  caption: ReactNode;
  children: ReactNode;
}) {
  return (
    <figure className="tutorial-figure">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ maxWidth: width }}
        role="img"
        aria-label={description}
      >
        <defs>
          <marker
            id="arrow-head"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="#59636e" />
          </marker>
        </defs>
        {children}
      </svg>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

export function Bars({
  values,
  labels,
  x,
  y,
  width,
  height,
  title,
  format,
}: {
  values: number[];
  labels: string[];
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
  format: (v: number) => string;
}) {
  const top = Math.max(...values.map(Math.abs), 1e-9);
  const scale = scaleLinear().domain([0, top]).range([0, height]);
  const band = width / values.length;
  return (
    <g transform={`translate(${x},${y})`}>
      <text className="figure-label" x={0} y={-22}>
        {title}
      </text>
      <line x1={0} x2={width} y1={height} y2={height} stroke="#59636e" />
      {values.map((value, index) => (
        <g key={index} transform={`translate(${index * band},0)`}>
          <rect
            x={band * 0.2}
            width={band * 0.6}
            y={height - scale(Math.abs(value))}
            height={scale(Math.abs(value))}
            className="bar"
          />
          <text
            x={band / 2}
            y={height - scale(Math.abs(value)) - 4}
            textAnchor="middle"
            className="cell-value"
          >
            {format(value)}
          </text>
          <text x={band / 2} y={height + 16} textAnchor="middle" className="figure-label">
            {labels[index]}
          </text>
        </g>
      ))}
    </g>
  );
}

/** The network as boxes, one per layer, with its output shape. */
export function NetworkDiagram({ layers }: { layers: LayerShape[] }) {
  const width = 112;
  const gap = 10;
  const heightOf = scaleLinear().domain([0, 64]).range([20, 150]).clamp(true);
  return (
    <Figure
      width={layers.length * (width + gap)}
      height={230}
      description={`Tiny VGG: ${layers.map((layer) => `${layer.name} ${layer.shape.join("×")}`).join(", ")}`}
      caption="Tiny VGG, left to right. Each box is a layer's output; its height follows the width of the maps."
    >
      {layers.map((layer, index) => {
        const h =
          layer.kind === "flatten" || layer.kind === "dense" ? 150 : heightOf(layer.shape[0] ?? 0);
        return (
          <g key={layer.name} transform={`translate(${index * (width + gap)},0)`}>
            <rect
              y={170 - h}
              width={width}
              height={h}
              rx={4}
              className={`layer-box layer-${layer.kind}`}
            />
            <text x={width / 2} y={192} textAnchor="middle" className="diagram-label">
              {layer.name}
            </text>
            <text x={width / 2} y={214} textAnchor="middle" className="diagram-label">
              {layer.shape.join("×")}
            </text>
          </g>
        );
      })}
    </Figure>
  );
}

/** Loss and accuracy per epoch, training and selection images (SVG; d3-scale computes, React draws, like plots.tsx). */
import { scaleLinear } from "d3-scale";
import type { EpochRecord } from "../../api/studio";
import { curves, type CurvePoint } from "./jobProgress";

const TRAIN = "#0b5cad";
const VALIDATION = "#d1495b";

export function TrainingCurves({ history, epochs }: { history: EpochRecord[]; epochs: number }) {
  if (history.length === 0) return null;
  return (
    <div className="plot-panels" data-testid="training-curves">
      <Curve title="Loss" metric="loss" history={history} epochs={epochs} />
      <Curve title="Accuracy" metric="accuracy" history={history} epochs={epochs} />
    </div>
  );
}

function Curve({
  title,
  metric,
  history,
  epochs,
}: {
  title: string;
  metric: "loss" | "accuracy";
  history: EpochRecord[];
  epochs: number;
}) {
  const width = 300;
  const height = 180;
  const margin = { top: 24, right: 12, bottom: 30, left: 42 };
  const { train, validation } = curves(history, metric);
  const all = [...train, ...validation].map((point) => point.value);
  const top = metric === "accuracy" ? 1 : Math.max(0.1, ...all) * 1.05;
  const lastEpoch = Math.max(epochs, ...history.map((record) => record.epoch), 2);
  const x = scaleLinear()
    .domain([1, lastEpoch])
    .range([margin.left, width - margin.right]);
  const y = scaleLinear()
    .domain([0, top])
    .range([height - margin.bottom, margin.top]);
  const path = (series: CurvePoint[]) =>
    series
      .map(
        (point, i) =>
          `${i === 0 ? "M" : "L"}${x(point.epoch).toFixed(1)},${y(point.value).toFixed(1)}`,
      )
      .join(" ");
  const format = (value: number) =>
    metric === "accuracy" ? `${Math.round(value * 100)}%` : value.toFixed(2);
  const last = (series: CurvePoint[]) => series.at(-1);
  const label = `${title} by epoch: training ${last(train) ? format(last(train)?.value ?? 0) : "—"}, selection images ${last(validation) ? format(last(validation)?.value ?? 0) : "—"} at epoch ${history.at(-1)?.epoch ?? 0}`;
  return (
    <figure className="plot">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-label={label}
        data-testid={`curve-${metric}`}
      >
        <text x={width / 2} y={14} textAnchor="middle" className="plot-title">
          {title}
        </text>
        {y.ticks(4).map((tick) => (
          <g key={tick}>
            <line
              x1={margin.left}
              x2={width - margin.right}
              y1={y(tick)}
              y2={y(tick)}
              className="grid-line"
            />
            <text x={margin.left - 6} y={y(tick) + 4} textAnchor="end" className="axis-label">
              {format(tick)}
            </text>
          </g>
        ))}
        {x
          .ticks(Math.min(lastEpoch, 6))
          .filter(Number.isInteger)
          .map((tick) => (
            <text key={tick} x={x(tick)} y={height - 12} textAnchor="middle" className="axis-label">
              {tick}
            </text>
          ))}
        <text x={width - margin.right} y={height - 1} textAnchor="end" className="axis-label">
          epoch
        </text>
        {[
          { series: train, colour: TRAIN, dash: undefined },
          { series: validation, colour: VALIDATION, dash: "5 3" },
        ].map(({ series, colour, dash }) => (
          <g key={colour}>
            <path
              d={path(series)}
              fill="none"
              stroke={colour}
              strokeWidth={2}
              strokeDasharray={dash}
            />
            {series.map((point) => (
              <circle
                key={point.epoch}
                cx={x(point.epoch)}
                cy={y(point.value)}
                r={3}
                fill={colour}
              />
            ))}
          </g>
        ))}
      </svg>
      <figcaption>
        <span className="legend-swatch" style={{ background: TRAIN }} /> training{" "}
        <span className="legend-swatch legend-dashed" style={{ borderColor: VALIDATION }} />{" "}
        selection images (training images set aside to watch the run)
      </figcaption>
    </figure>
  );
}

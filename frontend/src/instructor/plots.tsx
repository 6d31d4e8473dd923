/** The results plots (SVG; d3-scale computes, React draws): pre → post, gains, item statistics. */
import { scaleBand, scaleLinear } from "d3-scale";
import type { ItemStatistic, PlotData, StudentScore } from "../api/instructor";
import { histogramBins } from "./plotData";

const COLOURS: Record<string, string> = { cnn101: "#0b5cad", conventional: "#d1495b" };
const colour = (condition: string) => COLOURS[condition] ?? "#59636e";
const percent = (value: number) => `${Math.round(value * 100)}%`;

/** Each student's pre-test → post-test score, one panel per condition. */
export function PrePostPlot({
  points,
  conditions,
}: {
  points: StudentScore[];
  conditions: string[];
}) {
  const width = 260;
  const height = 240;
  const margin = { top: 28, right: 20, bottom: 30, left: 44 };
  const y = scaleLinear()
    .domain([0, 1])
    .range([height - margin.bottom, margin.top]);
  const x = scaleBand()
    .domain(["pre", "post"])
    .range([margin.left, width - margin.right])
    .padding(0.4);
  const xPre = (x("pre") ?? 0) + x.bandwidth() / 2;
  const xPost = (x("post") ?? 0) + x.bandwidth() / 2;
  return (
    <figure className="plot" data-testid="plot-prepost">
      <div className="plot-panels">
        {conditions.map((condition) => {
          const mine = points.filter((point) => point.condition === condition);
          return (
            <svg
              key={condition}
              viewBox={`0 0 ${width} ${height}`}
              width={width}
              height={height}
              role="img"
              aria-label={`${condition}: ${mine.length} students, pre-test to post-test scores`}
            >
              <text x={width / 2} y={16} textAnchor="middle" className="plot-title">
                {condition} (n = {mine.length})
              </text>
              {y.ticks(5).map((tick) => (
                <g key={tick}>
                  <line
                    x1={margin.left}
                    x2={width - margin.right}
                    y1={y(tick)}
                    y2={y(tick)}
                    className="grid-line"
                  />
                  <text x={margin.left - 6} y={y(tick) + 4} textAnchor="end" className="axis-label">
                    {percent(tick)}
                  </text>
                </g>
              ))}
              <text x={xPre} y={height - 10} textAnchor="middle" className="axis-label">
                pre-test
              </text>
              <text x={xPost} y={height - 10} textAnchor="middle" className="axis-label">
                post-test
              </text>
              {mine.map((point) => (
                <g key={point.participant} data-testid="prepost-line">
                  <title>{`${point.participant}: ${percent(point.pre)} → ${percent(point.post)}`}</title>
                  <line
                    x1={xPre}
                    x2={xPost}
                    y1={y(point.pre)}
                    y2={y(point.post)}
                    stroke={colour(condition)}
                    strokeOpacity={0.55}
                    strokeWidth={2}
                  />
                  <circle cx={xPre} cy={y(point.pre)} r={4} fill={colour(condition)} />
                  <circle cx={xPost} cy={y(point.post)} r={4} fill={colour(condition)} />
                </g>
              ))}
            </svg>
          );
        })}
      </div>
      <figcaption>
        Each line is one student: the share of items answered correctly before and after learning.
      </figcaption>
    </figure>
  );
}

/** Distribution of gains (post − pre) per condition, as mirrored histograms on one axis. */
export function GainPlot({
  histogram,
  conditions,
}: {
  histogram: PlotData["gain_histogram"];
  conditions: string[];
}) {
  const width = 560;
  const height = 90 * conditions.length + 40;
  const margin = { top: 10, right: 20, bottom: 30, left: 110 };
  const x = scaleLinear()
    .domain([-1, 1])
    .range([margin.left, width - margin.right]);
  const rows = scaleBand()
    .domain(conditions)
    .range([margin.top, height - margin.bottom])
    .padding(0.15);
  const binned = conditions.map((condition) =>
    histogramBins(histogram.edges, histogram.counts[condition]),
  );
  const most = Math.max(1, ...binned.flat().map((bin) => bin.count));
  const barHeight = scaleLinear().domain([0, most]).range([0, rows.bandwidth()]);
  return (
    <figure className="plot" data-testid="plot-gains">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ maxWidth: width }}
        role="img"
        aria-label="Histograms of gains per condition"
      >
        {x.ticks(10).map((tick) => (
          <g key={tick}>
            <line
              x1={x(tick)}
              x2={x(tick)}
              y1={margin.top}
              y2={height - margin.bottom}
              className={tick === 0 ? "zero-line" : "grid-line"}
            />
            <text x={x(tick)} y={height - 12} textAnchor="middle" className="axis-label">
              {tick > 0 ? `+${tick}` : tick}
            </text>
          </g>
        ))}
        {conditions.map((condition, row) => {
          const top = rows(condition) ?? 0;
          return (
            <g key={condition}>
              <text
                x={margin.left - 8}
                y={top + rows.bandwidth() / 2 + 4}
                textAnchor="end"
                className="plot-title"
              >
                {condition}
              </text>
              {binned[row]?.map((bin) => (
                <rect
                  key={bin.low}
                  x={x(bin.low) + 1}
                  width={x(bin.high) - x(bin.low) - 2}
                  y={top + rows.bandwidth() - barHeight(bin.count)}
                  height={barHeight(bin.count)}
                  fill={colour(condition)}
                  data-testid="gain-bar"
                  data-count={bin.count}
                >
                  <title>{`${condition}: ${bin.count} with a gain from ${bin.low} to ${bin.high}`}</title>
                </rect>
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>Gain = post-test − pre-test (share of items correct), in bins of 0.2.</figcaption>
    </figure>
  );
}

/** Item difficulty (share correct) against discrimination (corrected item–total r). */
export function ItemPlot({ items }: { items: ItemStatistic[] }) {
  const width = 560;
  const height = 320;
  const margin = { top: 16, right: 20, bottom: 40, left: 50 };
  const x = scaleLinear()
    .domain([0, 1])
    .range([margin.left, width - margin.right]);
  const y = scaleLinear()
    .domain([-1, 1])
    .range([height - margin.bottom, margin.top]);
  const shown = items.filter((item) => item.discrimination !== null);
  return (
    <figure className="plot" data-testid="plot-items">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ maxWidth: width }}
        role="img"
        aria-label="Item difficulty against discrimination"
      >
        <rect
          x={x(0.2)}
          width={x(0.8) - x(0.2)}
          y={y(1)}
          height={y(0.2) - y(1)}
          className="good-zone"
        />
        {x.ticks(5).map((tick) => (
          <g key={`x${tick}`}>
            <line
              x1={x(tick)}
              x2={x(tick)}
              y1={margin.top}
              y2={height - margin.bottom}
              className="grid-line"
            />
            <text
              x={x(tick)}
              y={height - margin.bottom + 16}
              textAnchor="middle"
              className="axis-label"
            >
              {tick}
            </text>
          </g>
        ))}
        {y.ticks(4).map((tick) => (
          <g key={`y${tick}`}>
            <line
              x1={margin.left}
              x2={width - margin.right}
              y1={y(tick)}
              y2={y(tick)}
              className={tick === 0 ? "zero-line" : "grid-line"}
            />
            <text x={margin.left - 6} y={y(tick) + 4} textAnchor="end" className="axis-label">
              {tick}
            </text>
          </g>
        ))}
        <text
          x={(margin.left + width - margin.right) / 2}
          y={height - 6}
          textAnchor="middle"
          className="axis-label"
        >
          difficulty (share correct)
        </text>
        <text
          transform={`translate(12,${height / 2}) rotate(-90)`}
          textAnchor="middle"
          className="axis-label"
        >
          discrimination
        </text>
        {shown.map((item) => (
          <g key={`${item.item_key}-${item.phase}`} data-testid="item-point">
            <title>{`${item.item_key} (${item.phase}, ${item.concept}): difficulty ${item.difficulty.toFixed(2)}, discrimination ${(item.discrimination ?? 0).toFixed(2)}`}</title>
            <circle
              cx={x(item.difficulty)}
              cy={y(item.discrimination ?? 0)}
              r={5}
              className={item.phase === "pre" ? "item-pre" : "item-post"}
            />
            <text
              x={x(item.difficulty) + 7}
              y={y(item.discrimination ?? 0) + 4}
              className="axis-label"
            >
              {item.item_key}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>
        Filled: pre-test, open: post-test. The shaded zone (difficulty 0.2–0.8, discrimination ≥
        0.2) is where items usually work well.
        {items.length > shown.length &&
          ` ${items.length - shown.length} item(s) without a discrimination (everyone or no one correct) are not drawn.`}
      </figcaption>
    </figure>
  );
}

/** A small matrix of numbers (a window, a kernel, products) on the colours of their values. */
import { formatFixed } from "../../math/arithmetic";
import { DivergingLegend } from "../../components/Legend";
import { contrast, divergingScale } from "../../math/colour";

interface NumberGridProps {
  values: ArrayLike<number>;
  rows: number;
  columns: number;
  decimals: number;
  magnitude: number;
  /** What the grid is, for screen readers and the caption. */
  label: string;
  /** Cells to outline (the maximum of a pooling window). */
  marked?: ReadonlySet<number>;
  /** 1 for cells that lie on zero padding: drawn dashed and greyed, spoken as padding. */
  padded?: ArrayLike<number>;
  /** Cell under the pointer or focus, shared between the grids of one step. */
  active?: number | null;
  onActive?: (cell: number | null) => void;
  /** Square cells of at least this side in px (a pooling window); compact cells without. */
  cellSize?: number;
  /** A small legend of the grid's colours under it (when they have a scale of their own). */
  legend?: boolean;
  testId?: string;
}

const DARK_TEXT = "rgb(0, 0, 0)";
const LIGHT_TEXT = "rgb(255, 255, 255)";

/** Whichever of black and white text reads better on the cell's colour (WCAG contrast, at
 * least 4.58:1 on any colour): a fixed threshold on the value, or a softer dark grey, left
 * mid blues below 4.5:1. */
function textColour(background: string): string {
  return contrast(background, DARK_TEXT) >= contrast(background, LIGHT_TEXT)
    ? DARK_TEXT
    : LIGHT_TEXT;
}

const PADDING_STYLE = {
  outline: "1px dashed #6b7280",
  outlineOffset: "-3px",
  color: "#6b7280",
  fontStyle: "italic",
} as const;

export function NumberGrid({
  values,
  rows,
  columns,
  decimals,
  magnitude,
  label,
  marked,
  padded,
  active,
  onActive,
  cellSize,
  legend = false,
  testId,
}: NumberGridProps) {
  const colour = divergingScale(magnitude);
  return (
    <figure className="number-grid-figure">
      <figcaption>{label}</figcaption>
      <div
        className={cellSize === undefined ? "number-grid" : "number-grid number-grid-square"}
        role="table"
        aria-label={label}
        data-testid={testId}
        style={{
          gridTemplateColumns:
            cellSize === undefined
              ? `repeat(${columns}, auto)`
              : `repeat(${columns}, minmax(${cellSize}px, max-content))`,
        }}
      >
        {Array.from({ length: rows }, (_, row) => (
          <div role="row" key={row} className="number-grid-row">
            {Array.from({ length: columns }, (_, column) => {
              const cell = row * columns + column;
              const value = values[cell] ?? 0;
              const isPadding = Boolean(padded?.[cell]);
              const background = colour(value);
              const classes = [
                "number-cell",
                marked?.has(cell) ? "number-cell-marked" : "",
                active === cell ? "number-cell-active" : "",
              ]
                .filter(Boolean)
                .join(" ");
              return (
                <span
                  role="cell"
                  key={column}
                  className={classes}
                  style={{
                    background,
                    color: textColour(background),
                    ...(isPadding ? PADDING_STYLE : {}),
                  }}
                  data-value={value}
                  data-padding={isPadding ? "true" : undefined}
                  title={isPadding ? "zero padding" : undefined}
                  onPointerEnter={onActive && (() => onActive(cell))}
                  onPointerLeave={onActive && (() => onActive(null))}
                >
                  {formatFixed(value, decimals)}
                </span>
              );
            })}
          </div>
        ))}
      </div>
      {legend && (
        <DivergingLegend magnitude={magnitude} compact name={label} className="grid-legend" />
      )}
    </figure>
  );
}

/** The playground's grids: editable input, kernel, padded input with the window, output. */
import type { KeyboardEvent } from "react";
import { usePalette } from "../components/palette";
import { divergingScale } from "../math/colour";
import { windowProducts, type Grid } from "./convolution";

/** One cell's side in px; the window overlay is placed in whole cells. */
const CELL = 34;

function gridStyle(size: number) {
  return { gridTemplateColumns: `repeat(${size}, ${CELL}px)`, gridAutoRows: `${CELL}px` };
}

function signed(value: number): string {
  return value < 0 ? `−${-value}` : String(value);
}

export function ValueGrid({ title, grid, testId }: { title: string; grid: Grid; testId: string }) {
  return (
    <figure className="playground-grid" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div
        className="grid-cells"
        style={gridStyle(grid.length)}
        role="img"
        aria-label={`${title}: ${grid.map((cells) => cells.map(signed).join(" ")).join("; ")}`}
      >
        {grid.flatMap((cells, r) =>
          cells.map((value, c) => (
            <span key={`${r}-${c}`} className="grid-cell" aria-hidden="true">
              {signed(value)}
            </span>
          )),
        )}
      </div>
    </figure>
  );
}

export function InputGrid({
  grid,
  onChange,
}: {
  grid: Grid;
  onChange: (row: number, col: number, value: number) => void;
}) {
  return (
    <figure className="playground-grid" data-testid="playground-input">
      <figcaption>
        Input ({grid.length} × {grid.length}), type to change a number
      </figcaption>
      <div className="grid-cells" style={gridStyle(grid.length)}>
        {grid.flatMap((cells, r) =>
          cells.map((value, c) => (
            <input
              key={`${r}-${c}`}
              className="grid-cell grid-input"
              inputMode="numeric"
              value={value}
              aria-label={`Input row ${r + 1}, column ${c + 1}`}
              onChange={(event) => {
                const typed = Number(event.target.value.replace("−", "-"));
                if (
                  event.target.value.trim() !== "" &&
                  Number.isInteger(typed) &&
                  Math.abs(typed) <= 99
                )
                  onChange(r, c, typed);
              }}
              onFocus={(event) => event.target.select()}
            />
          )),
        )}
      </div>
    </figure>
  );
}

interface PaddedGridProps {
  padded: Grid;
  p: number;
  k: number;
  /** The window's top-left cell in the padded input. */
  top: number;
  left: number;
}

export function PaddedGrid({ padded, p, k, top, left }: PaddedGridProps) {
  const size = padded.length;
  const isPad = (r: number, c: number) => r < p || c < p || r >= size - p || c >= size - p;
  return (
    <figure className="playground-grid" data-testid="playground-padded" data-size={size}>
      <figcaption>
        Padded input ({size} × {size}) and the window
      </figcaption>
      <div
        className="grid-cells grid-padded"
        style={gridStyle(size)}
        role="img"
        aria-label={`Padded input, ${size} by ${size}; the window covers rows ${top + 1} to ${top + k}, columns ${left + 1} to ${left + k}`}
      >
        {padded.flatMap((cells, r) =>
          cells.map((value, c) => (
            <span
              key={`${r}-${c}`}
              className={`grid-cell${isPad(r, c) ? " grid-pad" : ""}`}
              aria-hidden="true"
            >
              {signed(value)}
            </span>
          )),
        )}
        <span
          className="grid-window"
          data-testid="playground-window"
          style={{ top: top * CELL, left: left * CELL, width: k * CELL, height: k * CELL }}
        />
      </div>
    </figure>
  );
}

interface OutputGridProps {
  output: Grid;
  row: number;
  col: number;
  padded: Grid;
  kernel: Grid;
  stride: number;
  onMove: (row: number, col: number) => void;
}

const MOVES: Record<string, [number, number]> = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

export function OutputGrid({ output, row, col, padded, kernel, stride, onMove }: OutputGridProps) {
  const size = output.length;
  // Coloured like the overview's heatmaps (the chosen palette, zero white), scaled to this output.
  const palette = usePalette();
  const magnitude = Math.max(...output.flat().map(Math.abs));
  const colour = divergingScale(magnitude, palette);
  const products = windowProducts(padded, kernel, row, col, stride);
  const value = output[row]?.[col] ?? 0;
  const terms = products
    .filter(({ weight }) => weight !== 0)
    .map(
      ({ value: number, weight }) =>
        `${signed(number)}×${weight < 0 ? `(${signed(weight)})` : signed(weight)}`,
    );
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const move = MOVES[event.key];
    if (!move) return;
    event.preventDefault();
    onMove(
      Math.max(0, Math.min(size - 1, row + move[0])),
      Math.max(0, Math.min(size - 1, col + move[1])),
    );
  };
  const next = () => {
    const index = (row * size + col + 1) % (size * size);
    onMove(Math.floor(index / size), index % size);
  };
  return (
    <figure className="playground-grid" data-testid="playground-output" data-size={size}>
      <figcaption>
        Output ({size} × {size}); arrow keys or pointer move the window
      </figcaption>
      <div
        className="grid-cells grid-output"
        style={gridStyle(size)}
        tabIndex={0}
        role="group"
        aria-label={`Output, ${size} by ${size}. Row ${row + 1}, column ${col + 1} is ${signed(value)}. Arrow keys move the window.`}
        onKeyDown={onKeyDown}
      >
        {output.flatMap((cells, r) =>
          cells.map((cell, c) => (
            <span
              key={`${r}-${c}`}
              className={`grid-cell${r === row && c === col ? " grid-current" : ""}`}
              style={{
                background: colour(cell),
                color: magnitude > 0 && Math.abs(cell) / magnitude > 0.65 ? "white" : undefined,
              }}
              aria-hidden="true"
              data-row={r}
              data-col={c}
              onPointerEnter={(event) => event.pointerType === "mouse" && onMove(r, c)}
              onClick={() => onMove(r, c)}
            >
              {signed(cell)}
            </span>
          )),
        )}
      </div>
      <button type="button" onClick={next} data-testid="playground-step">
        Next position
      </button>
      <p className="playground-sum" data-testid="playground-sum" aria-live="polite">
        Output row {row + 1}, column {col + 1} = {terms.join(" + ") || "0"} ={" "}
        <strong>{signed(value)}</strong>
        {terms.length < products.length && (
          <span className="playground-sum-note"> (numbers under a 0 of the kernel left out)</span>
        )}
      </p>
    </figure>
  );
}

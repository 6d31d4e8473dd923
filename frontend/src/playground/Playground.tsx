/**
 * The hyperparameter playground: input size, padding, kernel size and stride change a
 * convolution of a small input live, with the padded input, the sliding window, the output
 * and out = ⌊(n + 2p − k) / s⌋ + 1 in numbers; a combination that does not work says why.
 */
import { useState } from "react";
import {
  checkParams,
  convolve,
  edgeKernel,
  formulaSteps,
  LIMITS,
  padGrid,
  randomGrid,
  type ConvParams,
  type Grid,
} from "./convolution";
import { InputGrid, OutputGrid, PaddedGrid, ValueGrid } from "./PlaygroundGrids";

const FIELDS: { key: keyof ConvParams; label: string; hint: string }[] = [
  { key: "n", label: "Input size n", hint: "the input is n × n numbers" },
  { key: "p", label: "Padding p", hint: "rings of zeros around the input" },
  { key: "k", label: "Kernel size k", hint: "the window is k × k" },
  { key: "s", label: "Stride s", hint: "how far the window moves each step" },
];

const MAX_N = LIMITS.n[1];

/** "" and "abc" are not numbers (Number("") would be 0). */
function parse(text: string): number {
  return text.trim() === "" ? Number.NaN : Number(text);
}

export function Playground() {
  const [raw, setRaw] = useState<Record<keyof ConvParams, string>>({
    n: "5",
    p: "1",
    k: "3",
    s: "2",
  });
  const [exact, setExact] = useState(false);
  const [seed, setSeed] = useState(1);
  const [numbers, setNumbers] = useState<Grid>(() => randomGrid(MAX_N, 1));
  const [position, setPosition] = useState({ row: 0, col: 0 });

  const params: ConvParams = { n: parse(raw.n), p: parse(raw.p), k: parse(raw.k), s: parse(raw.s) };
  const check = checkParams(params, exact);
  // At most 15 x 15 numbers: recomputed on every render, no memo needed.
  const input = numbers.slice(0, params.n).map((cells) => cells.slice(0, params.n));
  const padded = check.ok ? padGrid(input, params.p) : null;
  const kernel = check.ok ? edgeKernel(params.k) : null;
  const result =
    check.ok && padded && kernel
      ? { padded, kernel, output: convolve(padded, kernel, params.s), size: check.size }
      : null;
  const row = Math.min(position.row, (result?.size ?? 1) - 1);
  const col = Math.min(position.col, (result?.size ?? 1) - 1);

  return (
    <section className="playground" aria-labelledby="playground-title" data-testid="playground">
      <h2 id="playground-title">Convolution playground</h2>
      <p className="playground-intro">
        Change the input size, padding, kernel size and stride and watch the output change. The
        kernel slides over the padded input; each output number is the sum of the window&apos;s
        numbers times the kernel&apos;s.
      </p>
      <div className="playground-controls">
        {FIELDS.map(({ key, label, hint }) => (
          <label key={key} title={hint}>
            {label}
            <input
              type="number"
              step={1}
              min={key === "s" ? 1 : LIMITS[key][0]}
              max={LIMITS[key][1]}
              value={raw[key]}
              onChange={(event) => setRaw({ ...raw, [key]: event.target.value })}
              data-testid={`playground-${key}`}
            />
          </label>
        ))}
        <label className="playground-exact">
          <input
            type="checkbox"
            checked={exact}
            onChange={(event) => setExact(event.target.checked)}
            data-testid="playground-exact"
          />
          Require an exact fit
        </label>
        <button
          type="button"
          onClick={() => {
            setSeed(seed + 1);
            setNumbers(randomGrid(MAX_N, seed + 1));
          }}
        >
          New numbers
        </button>
      </div>
      <div
        className="playground-formula"
        data-testid="playground-formula"
        data-size={check.ok ? check.size : ""}
        aria-live="polite"
      >
        {formulaSteps(params).map((step) => (
          <span key={step}>{step}</span>
        ))}
        {check.ok && (
          <span className="playground-shape">
            {" "}
            so the output is {check.size} × {check.size}
          </span>
        )}
      </div>
      {!check.ok && (
        <div
          className="status status-error playground-problem"
          role="alert"
          data-testid="playground-problem"
        >
          {check.reasons.map((reason) => (
            <p key={reason}>{reason}</p>
          ))}
        </div>
      )}
      {check.ok &&
        check.notes.map((note) => (
          <p key={note} className="playground-note" data-testid="playground-note">
            {note}
          </p>
        ))}
      <div className="playground-grids">
        {Number.isInteger(params.n) && params.n >= 1 && params.n <= MAX_N && (
          <InputGrid
            grid={input}
            onChange={(r, c, value) =>
              setNumbers(
                numbers.map((cells, i) =>
                  i === r ? cells.map((old, j) => (j === c ? value : old)) : cells,
                ),
              )
            }
          />
        )}
        {result && (
          <>
            <ValueGrid
              title={`Kernel (${params.k} × ${params.k})`}
              grid={result.kernel}
              testId="playground-kernel"
            />
            <PaddedGrid
              padded={result.padded}
              p={params.p}
              k={params.k}
              top={row * params.s}
              left={col * params.s}
            />
            <OutputGrid
              output={result.output}
              row={row}
              col={col}
              padded={result.padded}
              kernel={result.kernel}
              stride={params.s}
              onMove={(r, c) => setPosition({ row: r, col: c })}
            />
          </>
        )}
      </div>
    </section>
  );
}

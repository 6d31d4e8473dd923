/**
 * The hyperparameter playground's maths, no UI: a convolution of a small square input with
 * input size n, padding p, kernel size k and stride s, and the output-size formula
 * out = floor((n + 2p − k) / s) + 1, with the reasons a combination does not work.
 */

export interface ConvParams {
  /** Input size (n x n). */
  n: number;
  /** Zero padding on every side. */
  p: number;
  /** Kernel size (k x k). */
  k: number;
  /** Stride. */
  s: number;
}

export type Grid = number[][];

/** Bounds of the controls; the checks below still refuse anything outside them. */
export const LIMITS = { n: [1, 9], p: [0, 3], k: [1, 7], s: [1, 4] } as const satisfies Record<
  keyof ConvParams,
  readonly [number, number]
>;

export type SizeCheck =
  | { ok: true; size: number; padded: number; remainder: number; notes: string[] }
  | { ok: false; reasons: string[] };

const NAMES: Record<keyof ConvParams, string> = {
  n: "input size n",
  p: "padding p",
  k: "kernel size k",
  s: "stride s",
};

/** out = floor((n + 2p − k) / s) + 1, for parameters already checked. */
export function outputSize({ n, p, k, s }: ConvParams): number {
  return Math.floor((n + 2 * p - k) / s) + 1;
}

/**
 * Whether the combination gives an output, and why not. With `requireExact`, a window that
 * does not land exactly on the last padded column (a remainder) is refused, as frameworks
 * that insist on "every input used" do; otherwise it is a note.
 */
export function checkParams(params: ConvParams, requireExact = false): SizeCheck {
  const reasons: string[] = [];
  for (const key of ["n", "p", "k", "s"] as const) {
    const value = params[key];
    const [low, high] = LIMITS[key];
    if (!Number.isInteger(value))
      reasons.push(
        `The ${NAMES[key]} must be a whole number (it is ${Number.isNaN(value) ? "empty" : String(value)}).`,
      );
    else if (key === "s" && value < 1)
      reasons.push(
        `The stride s must be at least 1: the window has to move forward (it is ${value}).`,
      );
    else if (key === "p" && value < 0)
      reasons.push(`The padding p cannot be negative (it is ${value}).`);
    else if (value < low || value > high)
      reasons.push(`The ${NAMES[key]} must be between ${low} and ${high} here (it is ${value}).`);
  }
  if (reasons.length > 0) return { ok: false, reasons };
  const { n, p, k, s } = params;
  const padded = n + 2 * p;
  if (k > padded) {
    return {
      ok: false,
      reasons: [
        `The kernel (k = ${k}) is bigger than the padded input (n + 2p = ${n} + 2×${p} = ${padded}), so it fits nowhere. Make the kernel smaller or add padding.`,
      ],
    };
  }
  const remainder = (padded - k) % s;
  if (remainder !== 0 && requireExact) {
    return {
      ok: false,
      reasons: [
        `(n + 2p − k) / s = ${padded - k} / ${s} is not a whole number: the window would stop ${remainder} ${remainder === 1 ? "column" : "columns"} before the edge. Change the stride or the padding, or allow a remainder.`,
      ],
    };
  }
  const notes: string[] = [];
  if (remainder !== 0) {
    notes.push(
      `(n + 2p − k) / s = ${padded - k} / ${s} is not whole: the floor drops it, so the last ${remainder} ${remainder === 1 ? "row and column" : "rows and columns"} of the padded input are never used.`,
    );
  }
  if (p >= k)
    notes.push(
      `The padding (p = ${p}) is at least the kernel size (k = ${k}): the corner outputs see only padding zeros.`,
    );
  return { ok: true, size: outputSize(params), padded, remainder, notes };
}

/** The formula with these numbers put in, step by step, as a student would write it. */
export function formulaSteps({ n, p, k, s }: ConvParams): string[] {
  const inner = n + 2 * p - k;
  const steps = [
    "out = ⌊(n + 2p − k) / s⌋ + 1",
    `= ⌊(${n} + 2×${p} − ${k}) / ${s}⌋ + 1`,
    `= ⌊${String(inner).replace("-", "−")} / ${s}⌋ + 1`,
  ];
  if (inner >= 0 && s >= 1 && Number.isInteger(inner) && Number.isInteger(s)) {
    const floor = Math.floor(inner / s);
    steps.push(`= ${floor} + 1`, `= ${floor + 1}`);
  }
  return steps;
}

/** The input surrounded by p rings of zeros. */
export function padGrid(input: Grid, p: number): Grid {
  const n = input.length;
  return Array.from({ length: n + 2 * p }, (_, row) =>
    Array.from({ length: n + 2 * p }, (_, col) => input[row - p]?.[col - p] ?? 0),
  );
}

/** The window of output cell (row, col): its top-left corner in the padded input. */
export function windowOrigin(row: number, col: number, s: number): { top: number; left: number } {
  return { top: row * s, left: col * s };
}

/** The products of one window, row by row (what the playground writes out as a sum). */
export function windowProducts(
  padded: Grid,
  kernel: Grid,
  row: number,
  col: number,
  s: number,
): { value: number; weight: number }[] {
  const { top, left } = windowOrigin(row, col, s);
  return kernel.flatMap((weights, i) =>
    weights.map((weight, j) => ({ value: padded[top + i]?.[left + j] ?? 0, weight })),
  );
}

/** Cross-correlation (what a CNN's "convolution" computes), no bias, for checked parameters. */
export function convolve(padded: Grid, kernel: Grid, s: number): Grid {
  const k = kernel.length;
  const size = Math.floor((padded.length - k) / s) + 1;
  return Array.from({ length: size }, (_, row) =>
    Array.from({ length: size }, (_, col) =>
      windowProducts(padded, kernel, row, col, s).reduce(
        (sum, { value, weight }) => sum + value * weight,
        0,
      ),
    ),
  );
}

/** A k x k kernel of small whole numbers that finds vertical edges: +1 left, −1 right (1 x 1: copies). */
export function edgeKernel(k: number): Grid {
  if (k === 1) return [[1]]; // a 1 x 1 kernel has no left and right: it copies
  const middle = (k - 1) / 2;
  return Array.from({ length: k }, () =>
    Array.from({ length: k }, (_, col) => Math.sign(middle - col)),
  );
}

/** n x n whole numbers 0..9 from a seed (mulberry32), so "new numbers" is repeatable in tests. */
export function randomGrid(n: number, seed: number): Grid {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => Array.from({ length: n }, () => Math.floor(next() * 10)));
}

/** Keeps the numbers already typed when the input size changes; new cells get the seed's numbers. */
export function resizeGrid(grid: Grid, n: number, seed: number): Grid {
  const fresh = randomGrid(n, seed);
  return fresh.map((cells, row) => cells.map((value, col) => grid[row]?.[col] ?? value));
}

/**
 * How the detail views print arithmetic so that it adds up: every term of a sum with the
 * same number of decimals, the sum of the rounded terms checked against the rounded exact
 * sum, and a note whenever rounding hides digits. Pure functions, no UI.
 */

/** Printing keeps a true minus sign and never shows "−0.000". */
export function formatFixed(value: number, decimals: number): string {
  const text = value.toFixed(decimals);
  return Number(text) === 0 ? text.replace("-", "") : text.replace("-", "−");
}

/** Up to float32's precision (7 significant digits): what "exact" means to a reader. */
export function formatExact(value: number): string {
  return String(Number(value.toPrecision(7))).replace(/^-/, "−");
}

/**
 * Decimals that give the largest magnitude about `significant` significant digits, within
 * [min, max]: 12.34 → 2, 0.1234 → 4 (clamped to 4 with the defaults), 0.001234 → 6.
 */
export function decimalsFor(values: ArrayLike<number>, significant = 4, min = 2, max = 6): number {
  let largest = 0;
  for (let i = 0; i < values.length; i += 1) largest = Math.max(largest, Math.abs(values[i] ?? 0));
  if (!(largest > 0) || !Number.isFinite(largest)) return min;
  const wanted = significant - 1 - Math.floor(Math.log10(largest));
  return Math.min(max, Math.max(min, wanted));
}

export interface SumDisplay {
  decimals: number;
  /** Each term as printed. */
  terms: string[];
  /** The exact sum of the unrounded terms, as printed. */
  total: string;
  /** Sum of the unrounded terms in float64. */
  exact: number;
  /** Sum of the terms as printed (what a reader adding them up by hand gets). */
  printedSum: number;
  /** The printed terms add up to the printed total. */
  addsUp: boolean;
  /** Rounding hid digits of at least one term or of the total. */
  hidden: boolean;
  /** What the view says about rounding, or null when nothing was rounded. */
  note: string | null;
}

/** A sum written out term by term with `decimals` decimals, and what rounding did to it. */
export function sumDisplay(values: readonly number[], decimals: number): SumDisplay {
  const terms = values.map((value) => formatFixed(value, decimals));
  const exact = values.reduce((sum, value) => sum + value, 0);
  const total = formatFixed(exact, decimals);
  const scale = 10 ** decimals;
  // Integer arithmetic on the printed digits, so 0.1 + 0.2 is not 0.30000000000000004.
  const printedUnits = values.reduce(
    (sum, value) => sum + Math.round(Number(value.toFixed(decimals)) * scale),
    0,
  );
  const printedSum = printedUnits / scale;
  const addsUp = formatFixed(printedSum, decimals) === total;
  const hidden =
    values.some((value) => Number(value.toFixed(decimals)) !== value) ||
    Number(exact.toFixed(decimals)) !== exact;
  let note: string | null = null;
  if (hidden) {
    note = `Numbers are rounded to ${decimals} decimals; the exact sum is ${formatExact(exact)}.`;
    if (!addsUp) {
      note += ` Added up as printed, the terms give ${formatFixed(printedSum, decimals)}: the digits that rounding hid make the difference.`;
    }
  }
  return { decimals, terms, total, exact, printedSum, addsUp, hidden, note };
}

/**
 * The fewest decimals, from `from` up to `max`, with which the printed terms of every sum
 * add up to its printed total: a reader adding the numbers by hand gets the number shown.
 */
export function decimalsThatAddUp(
  sums: readonly (readonly number[])[],
  from: number,
  max = 8,
): number {
  for (let decimals = from; decimals < max; decimals += 1) {
    if (sums.every((values) => sumDisplay(values, decimals).addsUp)) return decimals;
  }
  return max;
}

/** One number printed with `decimals` decimals, and the note when rounding hid digits. */
export function roundedValue(
  value: number,
  decimals: number,
): { text: string; note: string | null } {
  const text = formatFixed(value, decimals);
  const hidden = Number(value.toFixed(decimals)) !== value;
  return {
    text,
    note: hidden ? `rounded to ${decimals} decimals; exactly ${formatExact(value)}` : null,
  };
}

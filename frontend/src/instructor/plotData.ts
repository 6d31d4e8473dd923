/** Numbers behind the results plots, pure so they are tested without a browser. */

export interface Bin {
  low: number;
  high: number;
  count: number;
}

/** The service's histogram (edges and counts per condition) as bins for one condition. */
export function histogramBins(edges: number[], counts: number[] | undefined): Bin[] {
  return edges
    .slice(0, -1)
    .map((low, index) => ({ low, high: edges[index + 1] ?? low, count: counts?.[index] ?? 0 }));
}

/** "0.42 (0.10)" style; a dash when the service had too few students to say. */
export function formatNumber(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? "—"
    : value.toFixed(digits);
}

export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return "—";
  return p < 0.001 ? "< .001" : p.toFixed(3).replace(/^0/, "");
}

export const STEP_ORDER = [
  "consent",
  "pre_test",
  "assignment",
  "learning",
  "post_test",
  "questionnaire",
  "done",
  "free_use",
  "declined",
];

/** The ANCOVA's detail (form order, CI, standardised effect, checks) as table rows' text. */
import type { Results } from "../api/instructor";
import { formatNumber as f, formatP } from "./plotData";

type Detail = NonNullable<Results["ancova_detail"]>;
type RankTest = NonNullable<Results["gain_rank_test"]>;

export interface DetailRow {
  label: string;
  text: string;
  note?: string;
}

/** Rows for the tests table; empty for results frozen before the detail existed. */
export function ancovaDetailRows(detail: Detail | null | undefined): DetailRow[] {
  if (!detail) return [];
  const covariates = detail.form_order_covariate
    ? "pre-test and form order (AB/BA) as covariates"
    : "pre-test as covariate (one form order only)";
  const standardised =
    detail.standardised_difference === null
      ? ""
      : `; standardised ${f(detail.standardised_difference)} (÷ ${detail.standardiser})`;
  const slopes =
    detail.slopes_f === null || detail.slopes_p === null
      ? "not computed (too few students)"
      : `condition × pre-test: F = ${f(detail.slopes_f)}, p ${formatP(detail.slopes_p)}`;
  return [
    {
      label: `Adjusted difference, ${covariates} (95 % CI)`,
      text: `${f(detail.adjusted_difference, 3)} [${f(detail.ci_low, 3)}, ${f(detail.ci_high, 3)}], t(${detail.df}), p ${formatP(detail.p)}${standardised}`,
    },
    {
      label: "Robust check (HC3 standard errors)",
      text: `SE ${f(detail.hc3_standard_error, 3)}, p ${formatP(detail.hc3_p)}`,
    },
    {
      label: "Homogeneity of slopes",
      text: slopes,
      ...(detail.slopes_note ? { note: detail.slopes_note } : {}),
    },
  ];
}

/** "U = 12.0, p .310 (exact)"; results frozen before the method was recorded say nothing. */
export function rankTestText(rank: RankTest): string {
  const method =
    rank.method === "exact"
      ? " (exact)"
      : rank.method === "asymptotic"
        ? " (normal approximation)"
        : "";
  return `U = ${f(rank.u, 1)}, p ${formatP(rank.p)}${method}`;
}

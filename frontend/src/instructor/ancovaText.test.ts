import { describe, expect, it } from "vitest";
import { ancovaDetailRows, rankTestText } from "./ancovaText";

const detail = {
  n: 40,
  form_order_covariate: true,
  adjusted_difference: 0.1321,
  ci_low: 0.051,
  ci_high: 0.2132,
  df: 36,
  p: 0.0021,
  standardised_difference: 0.61,
  standardiser: "pooled SD of the post-test scores",
  slopes_f: 4.2,
  slopes_p: 0.048,
  slopes_note: "The pre-test predicts the post-test differently…",
  hc3_standard_error: 0.041,
  hc3_p: 0.0009,
};

describe("ancovaDetailRows", () => {
  it("gives the CI, the standardised effect, the HC3 check and the slopes note", () => {
    const rows = ancovaDetailRows(detail);
    expect(rows.map((row) => row.label)).toEqual([
      "Adjusted difference, pre-test and form order (AB/BA) as covariates (95 % CI)",
      "Robust check (HC3 standard errors)",
      "Homogeneity of slopes",
    ]);
    expect(rows[0]?.text).toBe(
      "0.132 [0.051, 0.213], t(36), p .002; standardised 0.61 (÷ pooled SD of the post-test scores)",
    );
    expect(rows[1]?.text).toBe("SE 0.041, p < .001");
    expect(rows[2]?.text).toBe("condition × pre-test: F = 4.20, p .048");
    expect(rows[2]?.note).toMatch(/differently/);
  });

  it("says when form order is left out and when the slopes check cannot run", () => {
    const rows = ancovaDetailRows({
      ...detail,
      form_order_covariate: false,
      standardised_difference: null,
      slopes_f: null,
      slopes_p: null,
      slopes_note: null,
    });
    expect(rows[0]?.label).toContain("one form order only");
    expect(rows[0]?.text).not.toContain("standardised");
    expect(rows[2]?.text).toBe("not computed (too few students)");
    expect(rows[2]?.note).toBeUndefined();
  });

  it("adds nothing for results frozen before the detail existed", () => {
    expect(ancovaDetailRows(null)).toEqual([]);
    expect(ancovaDetailRows(undefined)).toEqual([]);
  });
});

describe("rankTestText", () => {
  it("names the method when it was recorded", () => {
    expect(rankTestText({ u: 12, p: 0.31, method: "exact" })).toBe("U = 12.0, p .310 (exact)");
    expect(rankTestText({ u: 12, p: 0.31, method: "asymptotic" })).toBe(
      "U = 12.0, p .310 (normal approximation)",
    );
    expect(rankTestText({ u: 12, p: 0.31 })).toBe("U = 12.0, p .310");
  });
});

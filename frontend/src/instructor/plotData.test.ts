import { describe, expect, it } from "vitest";
import { formatNumber, formatP, histogramBins } from "./plotData";

describe("results plot data", () => {
  it("turns the service's edges and counts into bins", () => {
    const edges = [-1, -0.5, 0, 0.5, 1];
    expect(histogramBins(edges, [0, 1, 2, 3])).toEqual([
      { low: -1, high: -0.5, count: 0 },
      { low: -0.5, high: 0, count: 1 },
      { low: 0, high: 0.5, count: 2 },
      { low: 0.5, high: 1, count: 3 },
    ]);
    expect(histogramBins(edges, undefined).map((bin) => bin.count)).toEqual([0, 0, 0, 0]);
  });

  it("formats numbers and p-values", () => {
    expect(formatNumber(null)).toBe("—");
    expect(formatNumber(0.4567)).toBe("0.46");
    expect(formatP(0.0004)).toBe("< .001");
    expect(formatP(0.0421)).toBe(".042");
    expect(formatP(null)).toBe("—");
  });
});

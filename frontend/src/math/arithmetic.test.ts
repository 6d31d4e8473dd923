import { describe, expect, it } from "vitest";
import {
  decimalsFor,
  decimalsThatAddUp,
  formatExact,
  formatFixed,
  roundedValue,
  sumDisplay,
} from "./arithmetic";

describe("formatFixed and formatExact", () => {
  it("print a true minus and never a negative zero", () => {
    expect(formatFixed(-1.25, 2)).toBe("−1.25");
    expect(formatFixed(-0.0001, 3)).toBe("0.000");
    expect(formatFixed(0.5, 0)).toBe("1");
    expect(formatExact(-0.123456789)).toBe("−0.1234568");
    expect(formatExact(0)).toBe("0");
    expect(formatExact(-3e-7)).toBe("−3e-7");
    expect(formatExact(0.1 + 0.2)).toBe("0.3");
  });
});

describe("decimalsFor", () => {
  it("gives the largest value four significant digits within the bounds", () => {
    expect(decimalsFor([12.34, -1])).toBe(2);
    expect(decimalsFor([0.1234])).toBe(4);
    expect(decimalsFor([-0.001234])).toBe(6);
    expect(decimalsFor([0.00001234])).toBe(6);
    expect(decimalsFor([1234])).toBe(2);
    expect(decimalsFor([])).toBe(2);
    expect(decimalsFor([0, 0])).toBe(2);
  });
});

describe("sumDisplay", () => {
  it("says nothing when no digit is hidden", () => {
    const shown = sumDisplay([0.25, -0.5, 1], 2);
    expect(shown.terms).toEqual(["0.25", "−0.50", "1.00"]);
    expect(shown.total).toBe("0.75");
    expect(shown.addsUp).toBe(true);
    expect(shown.hidden).toBe(false);
    expect(shown.note).toBeNull();
  });

  it("adds the printed digits exactly (no 0.30000000000000004)", () => {
    const shown = sumDisplay([0.1, 0.2], 1);
    expect(shown.printedSum).toBe(0.3);
    expect(shown.addsUp).toBe(true);
  });

  it("says so when rounding hides digits, with the exact sum", () => {
    const shown = sumDisplay([0.123456, 0.1], 2);
    expect(shown.total).toBe("0.22");
    expect(shown.addsUp).toBe(true);
    expect(shown.note).toBe("Numbers are rounded to 2 decimals; the exact sum is 0.223456.");
  });

  it("explains when the printed terms do not add up to the printed total", () => {
    // 0.004 three times: each prints as 0.00, their sum 0.012 prints as 0.01.
    const shown = sumDisplay([0.004, 0.004, 0.004], 2);
    expect(shown.terms).toEqual(["0.00", "0.00", "0.00"]);
    expect(shown.total).toBe("0.01");
    expect(shown.addsUp).toBe(false);
    expect(shown.note).toMatch(/exact sum is 0\.012\. Added up as printed, the terms give 0\.00/);
  });
});

describe("roundedValue", () => {
  it("notes a hidden digit only when there is one", () => {
    expect(roundedValue(0.5, 3)).toEqual({ text: "0.500", note: null });
    expect(roundedValue(-0.00012, 3)).toEqual({
      text: "0.000",
      note: "rounded to 3 decimals; exactly −0.00012",
    });
  });
});

describe("decimalsThatAddUp", () => {
  it("adds decimals until the printed terms add up to the printed sum", () => {
    expect(decimalsThatAddUp([[0.004, 0.004, 0.004]], 2)).toBe(3);
    expect(decimalsThatAddUp([[0.25, 0.5]], 2)).toBe(2);
    // Both sums at once: the second needs 4 decimals.
    expect(
      decimalsThatAddUp(
        [
          [0.004, 0.004, 0.004],
          [0.0004, 0.0004, 0.0004],
        ],
        2,
      ),
    ).toBe(4);
    expect(sumDisplay([0.004, 0.004, 0.004], 3).addsUp).toBe(true);
  });

  it("stops at the maximum", () => {
    const thirds = [1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3];
    expect(decimalsThatAddUp([thirds], 1, 4)).toBe(4);
  });
});

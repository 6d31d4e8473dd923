import { describe, expect, it } from "vitest";
import {
  checkParams,
  convolve,
  edgeKernel,
  formulaSteps,
  outputSize,
  padGrid,
  randomGrid,
  resizeGrid,
  windowOrigin,
  windowProducts,
  type ConvParams,
} from "./convolution";

/** Brute force: slide a k-window over the padded size and count where it fits. */
function positions({ n, p, k, s }: ConvParams): number {
  let count = 0;
  for (let start = 0; start + k <= n + 2 * p; start += s) count += 1;
  return count;
}

describe("output size", () => {
  it("matches the textbook examples", () => {
    expect(outputSize({ n: 5, p: 0, k: 3, s: 1 })).toBe(3);
    expect(outputSize({ n: 5, p: 1, k: 3, s: 1 })).toBe(5); // "same" padding
    expect(outputSize({ n: 7, p: 0, k: 3, s: 2 })).toBe(3);
    expect(outputSize({ n: 64, p: 0, k: 3, s: 1 })).toBe(62); // Tiny VGG's conv_1_1
    expect(outputSize({ n: 6, p: 0, k: 3, s: 2 })).toBe(2); // floor drops a remainder
  });

  it("equals the number of window positions for every combination the controls allow", () => {
    for (let n = 1; n <= 9; n += 1)
      for (let p = 0; p <= 3; p += 1)
        for (let k = 1; k <= 7; k += 1)
          for (let s = 1; s <= 4; s += 1) {
            const check = checkParams({ n, p, k, s });
            if (k > n + 2 * p) expect(check.ok).toBe(false);
            else expect(check).toMatchObject({ ok: true, size: positions({ n, p, k, s }) });
          }
  });
});

describe("invalid combinations say why", () => {
  it("refuses a kernel bigger than the padded input", () => {
    const check = checkParams({ n: 3, p: 0, k: 5, s: 1 });
    expect(check.ok).toBe(false);
    if (!check.ok)
      expect(check.reasons[0]).toContain("bigger than the padded input (n + 2p = 3 + 2×0 = 3)");
  });

  it("refuses a stride below 1, negative padding and fractions", () => {
    const stride = checkParams({ n: 5, p: 0, k: 3, s: 0 });
    expect(stride.ok ? [] : stride.reasons).toEqual([
      "The stride s must be at least 1: the window has to move forward (it is 0).",
    ]);
    const padding = checkParams({ n: 5, p: -1, k: 3, s: 1 });
    expect(padding.ok ? [] : padding.reasons[0]).toContain("cannot be negative");
    const fraction = checkParams({ n: 5, p: 0, k: 2.5, s: 1 });
    expect(fraction.ok ? [] : fraction.reasons[0]).toContain(
      "kernel size k must be a whole number (it is 2.5)",
    );
    const empty = checkParams({ n: Number.NaN, p: 0, k: 3, s: 1 });
    expect(empty.ok ? [] : empty.reasons[0]).toContain("(it is empty)");
  });

  it("refuses a remainder only when an exact fit is required, and notes it otherwise", () => {
    const params = { n: 6, p: 0, k: 3, s: 2 };
    const exact = checkParams(params, true);
    expect(exact.ok ? [] : exact.reasons[0]).toContain("3 / 2 is not a whole number");
    const loose = checkParams(params);
    expect(loose).toMatchObject({ ok: true, size: 2, remainder: 1 });
    expect(loose.ok && loose.notes[0]).toContain("the last 1 row and column");
    expect(checkParams({ n: 7, p: 0, k: 3, s: 2 }, true)).toMatchObject({
      ok: true,
      size: 3,
      remainder: 0,
      notes: [],
    });
  });

  it("notes when padding is as wide as the kernel", () => {
    const check = checkParams({ n: 3, p: 2, k: 2, s: 1 });
    expect(check.ok && check.notes.some((note) => note.includes("only padding zeros"))).toBe(true);
  });
});

describe("formula with numbers", () => {
  it("writes every step", () => {
    expect(formulaSteps({ n: 7, p: 1, k: 3, s: 2 })).toEqual([
      "out = ⌊(n + 2p − k) / s⌋ + 1",
      "= ⌊(7 + 2×1 − 3) / 2⌋ + 1",
      "= ⌊6 / 2⌋ + 1",
      "= 3 + 1",
      "= 4",
    ]);
  });

  it("stops before the floor when the numbers make no output", () => {
    expect(formulaSteps({ n: 3, p: 0, k: 5, s: 1 })).toEqual([
      "out = ⌊(n + 2p − k) / s⌋ + 1",
      "= ⌊(3 + 2×0 − 5) / 1⌋ + 1",
      "= ⌊−2 / 1⌋ + 1",
    ]);
  });
});

describe("padding and sliding", () => {
  it("pads with zeros on every side", () => {
    expect(
      padGrid(
        [
          [1, 2],
          [3, 4],
        ],
        1,
      ),
    ).toEqual([
      [0, 0, 0, 0],
      [0, 1, 2, 0],
      [0, 3, 4, 0],
      [0, 0, 0, 0],
    ]);
    expect(padGrid([[5]], 0)).toEqual([[5]]);
  });

  it("convolves (cross-correlates) window by window", () => {
    const input = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ];
    const kernel = [
      [1, 0],
      [0, -1],
    ];
    expect(convolve(input, kernel, 1)).toEqual([
      [-4, -4],
      [-4, -4],
    ]);
    expect(convolve(padGrid(input, 1), [[1]], 2)).toEqual([
      [0, 0, 0],
      [0, 5, 0],
      [0, 0, 0],
    ]);
    expect(windowOrigin(1, 2, 3)).toEqual({ top: 3, left: 6 });
    expect(windowProducts(input, kernel, 1, 1, 1)).toEqual([
      { value: 5, weight: 1 },
      { value: 6, weight: 0 },
      { value: 8, weight: 0 },
      { value: 9, weight: -1 },
    ]);
  });

  it("has output of the formula's size", () => {
    const params = { n: 7, p: 2, k: 4, s: 3 };
    const output = convolve(
      padGrid(randomGrid(params.n, 1), params.p),
      edgeKernel(params.k),
      params.s,
    );
    expect(output.length).toBe(outputSize(params));
    expect(output.every((row) => row.length === outputSize(params))).toBe(true);
  });

  it("makes edge kernels and repeatable numbers", () => {
    expect(edgeKernel(3)).toEqual([
      [1, 0, -1],
      [1, 0, -1],
      [1, 0, -1],
    ]);
    expect(edgeKernel(2)).toEqual([
      [1, -1],
      [1, -1],
    ]);
    expect(edgeKernel(1)).toEqual([[1]]);
    expect(randomGrid(4, 7)).toEqual(randomGrid(4, 7));
    expect(randomGrid(4, 7)).not.toEqual(randomGrid(4, 8));
    expect(
      randomGrid(9, 3)
        .flat()
        .every((value) => Number.isInteger(value) && value >= 0 && value <= 9),
    ).toBe(true);
    const typed = [
      [9, 9],
      [9, 9],
    ];
    const bigger = resizeGrid(typed, 3, 1);
    expect(bigger[0]?.slice(0, 2)).toEqual([9, 9]);
    expect(bigger.length).toBe(3);
    expect(resizeGrid(randomGrid(5, 1), 2, 1)).toEqual([
      [...(randomGrid(5, 1)[0] ?? []).slice(0, 2)],
      [...(randomGrid(5, 1)[1] ?? []).slice(0, 2)],
    ]);
  });
});

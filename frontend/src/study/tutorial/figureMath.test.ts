import { describe, expect, it } from "vitest";
import { convolve, maxPool, pad, relu, tinyVggShapes, windowSum } from "./figureMath";

describe("tutorial figures' arithmetic", () => {
  it("convolves, pads and pools like the layers do", () => {
    const input = [
      [1, 2, 0],
      [0, 1, 3],
      [2, 0, 1],
    ];
    const kernel = [
      [1, 0],
      [0, -1],
    ];
    expect(convolve(input, kernel)).toEqual([
      [0, -1],
      [0, 0],
    ]);
    expect(windowSum(input, kernel, 1, 1)).toBe(0);
    expect(pad([[5]], 1)).toEqual([
      [0, 0, 0],
      [0, 5, 0],
      [0, 0, 0],
    ]);
    expect(
      convolve(
        pad(input, 1),
        [
          [1, 1, 1],
          [1, 1, 1],
          [1, 1, 1],
        ],
        2,
      ),
    ).toEqual([
      [4, 6],
      [3, 5],
    ]);
    expect(
      maxPool([
        [1, 3, 2, 0],
        [4, 2, 1, 1],
        [0, 0, 5, 6],
        [1, 2, 7, 8],
      ]),
    ).toEqual([
      [4, 2],
      [2, 8],
    ]);
    expect(
      relu([
        [-1, 2],
        [0, -3],
      ]),
    ).toEqual([
      [0, 2],
      [0, 0],
    ]);
  });

  it("gives Tiny VGG's shapes and 19,920 parameters", () => {
    const layers = tinyVggShapes();
    const byName = Object.fromEntries(layers.map((layer) => [layer.name, layer]));
    expect(byName.conv_1_1?.shape).toEqual([62, 62, 10]);
    expect(byName.max_pool_1?.shape).toEqual([30, 30, 10]);
    expect(byName.max_pool_2?.shape).toEqual([13, 13, 10]);
    expect(byName.flatten?.shape).toEqual([1690]);
    expect(byName.conv_1_1?.params).toBe(280);
    expect(byName.conv_2_2?.params).toBe(910);
    expect(byName.output?.params).toBe(16910);
    expect(layers.reduce((sum, layer) => sum + layer.params, 0)).toBe(19920);
  });
});

import { describe, expect, it } from "vitest";
import {
  axisPadding,
  convChannelMap,
  convWindow,
  padPlane,
  paddingOf,
  type ConvKernel,
} from "./ops";
import type { Tensor } from "./tensor";

/** A one-channel H x W map holding 1, 2, 3, … in reading order. */
function counting(height: number, width: number): Tensor {
  return {
    shape: [height, width, 1],
    data: Float32Array.from({ length: height * width }, (_, i) => i + 1),
  };
}

/** A k x k kernel of ones, one input and one output channel: the window's plain sum. */
function ones(k: number): ConvKernel {
  return { shape: [k, k, 1, 1], data: new Float32Array(k * k).fill(1) };
}

describe("TensorFlow's 'same' padding", () => {
  it("pads half before and the odd zero after, just enough for ⌈n / s⌉ outputs", () => {
    expect(axisPadding("same", 5, 3, 1)).toEqual([1, 1]);
    expect(axisPadding("same", 4, 3, 2)).toEqual([0, 1]); // 2 outputs: windows at 0 and 2
    expect(axisPadding("same", 5, 3, 2)).toEqual([1, 1]); // 3 outputs: windows at −1, 1, 3
    expect(axisPadding("same", 6, 4, 1)).toEqual([1, 2]);
    expect(axisPadding("same", 8, 1, 2)).toEqual([0, 0]);
    expect(axisPadding("valid", 5, 3, 1)).toEqual([0, 0]);
    expect(axisPadding(undefined, 5, 3, 1)).toEqual([0, 0]);
    expect(paddingOf("same", [4, 5], [3, 3], [2, 2])).toEqual({
      top: 0,
      bottom: 1,
      left: 1,
      right: 1,
    });
  });

  it("a 3x3 sum over a padded 3x3 map, worked by hand", () => {
    // 1 2 3         0 0 0 0 0        12 21 16
    // 4 5 6   pad   0 1 2 3 0  sum   27 45 33
    // 7 8 9   -->   0 4 5 6 0  -->   24 39 28
    //               0 7 8 9 0
    //               0 0 0 0 0
    const map = convChannelMap(counting(3, 3), ones(3), 0, 0, [1, 1], "same");
    expect(map.shape).toEqual([3, 3, 1]);
    expect([...map.data]).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]);
    const corner = convWindow(
      counting(3, 3),
      ones(3),
      0,
      0,
      0,
      [1, 1],
      null,
      paddingOf("same", [3, 3], [3, 3]),
    );
    expect([...corner.inputs]).toEqual([0, 0, 0, 0, 1, 2, 0, 4, 5]);
    expect([...corner.padded]).toEqual([1, 1, 1, 1, 0, 0, 1, 0, 0]);
    expect(corner.sum).toBe(12);
    expect(convChannelMap(counting(3, 3), ones(3), 0, 0).data).toEqual(Float32Array.from([45]));
  });

  it("stride 2 on a 4x4 map: the last window reaches into the bottom/right zeros", () => {
    //  1  2  3  4  0
    //  5  6  7  8  0     windows at rows/columns 0 and 2:
    //  9 10 11 12  0     (0,0) 1+2+3+5+6+7+9+10+11 = 54   (0,1) 3+4+7+8+11+12 = 45
    // 13 14 15 16  0     (1,0) 9+10+11+13+14+15 = 72      (1,1) 11+12+15+16 = 54
    //  0  0  0  0  0
    const map = convChannelMap(counting(4, 4), ones(3), 0, 0, [2, 2], "same");
    expect(map.shape).toEqual([2, 2, 1]);
    expect([...map.data]).toEqual([54, 45, 72, 54]);
    const last = convWindow(
      counting(4, 4),
      ones(3),
      0,
      1,
      1,
      [2, 2],
      null,
      paddingOf("same", [4, 4], [3, 3], [2, 2]),
    );
    expect([...last.inputs]).toEqual([11, 12, 0, 15, 16, 0, 0, 0, 0]);
    expect([...last.padded]).toEqual([0, 0, 1, 0, 0, 1, 1, 1, 1]);
    expect(last.sum).toBe(54);
  });

  it("pads a plane for display with the map in the middle", () => {
    const padded = padPlane([1, 2, 3, 4], 2, 2, { top: 1, bottom: 0, left: 0, right: 1 });
    expect([...padded]).toEqual([0, 0, 0, 1, 2, 0, 3, 4, 0]);
  });
});

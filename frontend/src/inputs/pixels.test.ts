import { describe, expect, it } from "vitest";
import { cameraProblem, centreSquare, channelFileName, rgbaWithChannels } from "./pixels";

describe("channel switching", () => {
  const rgb = new Uint8Array([10, 20, 30, 200, 150, 100]);

  it("keeps every channel when all are on, opaque", () => {
    expect([...rgbaWithChannels(rgb, [true, true, true])]).toEqual([
      10, 20, 30, 255, 200, 150, 100, 255,
    ]);
  });

  it("zeroes exactly the channels switched off", () => {
    expect([...rgbaWithChannels(rgb, [false, true, true])]).toEqual([
      0, 20, 30, 255, 0, 150, 100, 255,
    ]);
    expect([...rgbaWithChannels(rgb, [true, false, false])]).toEqual([
      10, 0, 0, 255, 200, 0, 0, 255,
    ]);
  });

  it("names the file after what was switched off", () => {
    expect(channelFileName([true, true, true])).toBe("picture.png");
    expect(channelFileName([false, true, false])).toBe("picture-no-red-blue.png");
  });
});

describe("camera frame", () => {
  it("takes the centred square", () => {
    expect(centreSquare(640, 480)).toEqual({ x: 80, y: 0, side: 480 });
    expect(centreSquare(480, 641)).toEqual({ x: 0, y: 80, side: 480 });
    expect(centreSquare(64, 64)).toEqual({ x: 0, y: 0, side: 64 });
  });

  it("explains each failure in words a student can act on", () => {
    const error = (name: string) => Object.assign(new Error("x"), { name });
    expect(cameraProblem(error("NotAllowedError"), true)).toContain(
      "not allowed to use the camera",
    );
    expect(cameraProblem(error("NotFoundError"), true)).toContain("No camera was found");
    expect(cameraProblem(error("NotReadableError"), true)).toContain("busy");
    expect(cameraProblem(error("NotAllowedError"), false)).toContain("secure (https) address");
    expect(cameraProblem("odd", true)).toContain("could not be started");
  });
});

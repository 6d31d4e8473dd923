import { describe, expect, it } from "vitest";
import { QUIET_ZONE, qrDrawing } from "./qr";

function darkModules(path: string): Set<string> {
  return new Set(
    [...path.matchAll(/M(\d+) (\d+)h1v1h-1z/g)].map((match) => `${match[1]},${match[2]}`),
  );
}

describe("the lesson link's QR code", () => {
  it("draws the three finder patterns inside the quiet zone", () => {
    const drawing = qrDrawing(
      "http://10.0.0.5:8000/?example=val_2174&lesson=1.eyJoIjpbInBsYXlncm91bmQiXX0",
    );
    expect(drawing).not.toBeNull();
    const { size, path } = drawing ?? { size: 0, path: "" };
    const modules = size - 2 * QUIET_ZONE;
    expect((modules - 17) % 4).toBe(0); // 21, 25, 29, … modules: a QR version
    const dark = darkModules(path);
    // Each finder: a 7×7 dark ring, a light ring, a 3×3 dark centre.
    for (const [ox, oy] of [
      [0, 0],
      [modules - 7, 0],
      [0, modules - 7],
    ] as const) {
      for (let y = 0; y < 7; y += 1) {
        for (let x = 0; x < 7; x += 1) {
          const ring = x === 0 || y === 0 || x === 6 || y === 6;
          const centre = x >= 2 && x <= 4 && y >= 2 && y <= 4;
          expect(
            dark.has(`${ox + x + QUIET_ZONE},${oy + y + QUIET_ZONE}`),
            `${ox},${oy}: ${x},${y}`,
          ).toBe(ring || centre);
        }
      }
    }
    for (const key of dark) {
      const [x, y] = key.split(",").map(Number);
      expect(Math.min(x ?? 0, y ?? 0)).toBeGreaterThanOrEqual(QUIET_ZONE);
      expect(Math.max(x ?? 0, y ?? 0)).toBeLessThan(size - QUIET_ZONE);
    }
  });

  it("grows with the link and gives up on what no QR code holds", () => {
    const short = qrDrawing("http://a/?lesson=1.e30")?.size ?? 0;
    const long = qrDrawing(`http://a/?lesson=1.${"A".repeat(1500)}`)?.size ?? 0;
    expect(long).toBeGreaterThan(short);
    expect(qrDrawing("A".repeat(8000))).toBeNull();
  });
});

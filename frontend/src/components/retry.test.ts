import { describe, expect, it } from "vitest";
import { retryUrl } from "./RetryingImage";
import { retryCountdown } from "./StatusBanner";

describe("the banner's countdown", () => {
  it("counts whole seconds down, rounded up, then says it is trying", () => {
    expect(retryCountdown(10_000, 0)).toBe("Trying again in 10 s.");
    expect(retryCountdown(10_000, 7_100)).toBe("Trying again in 3 s.");
    expect(retryCountdown(10_000, 9_999)).toBe("Trying again in 1 s.");
    expect(retryCountdown(10_000, 10_000)).toBe("Trying again now…");
    expect(retryCountdown(10_000, 12_000)).toBe("Trying again now…");
  });
});

describe("a thumbnail's retry", () => {
  it("keeps the first URL, then makes each retry a new request", () => {
    expect(retryUrl("/api/examples/val_1/image?model=tiny_vgg", 0)).toBe(
      "/api/examples/val_1/image?model=tiny_vgg",
    );
    expect(retryUrl("/api/examples/val_1/image?model=tiny_vgg", 2)).toBe(
      "/api/examples/val_1/image?model=tiny_vgg&retry=2",
    );
    expect(retryUrl("/img.png", 1)).toBe("/img.png?retry=1");
  });
});

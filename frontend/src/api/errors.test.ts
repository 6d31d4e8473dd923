import { describe, expect, it } from "vitest";
import {
  ApiError,
  MAX_BACKOFF_SECONDS,
  MAX_RETRY_AFTER_SECONDS,
  messageOf,
  networkError,
  retryDelaySeconds,
  retryReason,
  timeoutError,
} from "./errors";

describe("retry delays", () => {
  it("back off 1, 2, 4, 8 s to a 10 s cap when the server gives no Retry-After", () => {
    expect([1, 2, 3, 4, 5, 6, 40].map((attempt) => retryDelaySeconds(attempt, null))).toEqual([
      1, 2, 4, 8, 10, 10, 10,
    ]);
    expect(MAX_BACKOFF_SECONDS).toBe(10);
  });

  it("wait at least the server's Retry-After, and longer once the backoff outgrows it", () => {
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelaySeconds(attempt, 3))).toEqual([
      3, 3, 4, 8, 10,
    ]);
    expect(retryDelaySeconds(1, 0)).toBe(1);
  });

  it("cut an absurd Retry-After short, so a recovery is noticed within a minute", () => {
    expect(retryDelaySeconds(1, 3600)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(retryDelaySeconds(9, 45)).toBe(45);
  });

  it("a network failure has no Retry-After of its own: the backoff decides", () => {
    expect(networkError().retryAfter).toBeNull();
  });
});

describe("retry wording", () => {
  it("says why in plain words: unreachable or busy", () => {
    expect(retryReason(networkError())).toMatch(/cannot be reached.*restarting/);
    expect(
      retryReason(new ApiError(503, "unavailable", "The model is not reachable right now.", 3)),
    ).toBe("The server is busy or restarting.");
  });
});

describe("a timeout", () => {
  it("is retried like a lost connection and said in plain words", () => {
    expect(timeoutError()).toMatchObject({ status: 0, code: "timeout", retryAfter: null });
    expect(retryReason(timeoutError())).toMatch(/slow to answer/);
    expect(messageOf(timeoutError())).toMatch(/taking too long/);
    expect(messageOf("???")).toBe("Something went wrong.");
  });
});

import { describe, expect, it } from "vitest";
import { formatClock, isAnnounced, localDeadline, secondsRemaining, spokenTime } from "./countdown";

describe("countdown", () => {
  it("counts from when the server's seconds left arrived", () => {
    const deadline = localDeadline(90.4, 10_000);
    expect(deadline).toBe(100_400);
    expect(secondsRemaining(deadline, 10_000)).toBe(91);
    expect(secondsRemaining(deadline, 100_000)).toBe(1);
    expect(secondsRemaining(deadline, 100_400)).toBe(0);
    expect(secondsRemaining(deadline, 200_000)).toBe(0);
  });

  it("treats a negative seconds-left as over", () => {
    expect(secondsRemaining(localDeadline(-3, 500), 500)).toBe(0);
  });

  it("formats minutes and hours", () => {
    expect(formatClock(0)).toBe("0:00");
    expect(formatClock(65)).toBe("1:05");
    expect(formatClock(600)).toBe("10:00");
    expect(formatClock(3725)).toBe("1:02:05");
  });

  it("announces a few moments only", () => {
    const announced = Array.from({ length: 601 }, (_, s) => s).filter(isAnnounced);
    expect(announced).toEqual([10, 30, 60, 120, 180, 240, 300]);
    expect(spokenTime(120)).toBe("2 minutes left");
    expect(spokenTime(60)).toBe("1 minute left");
    expect(spokenTime(30)).toBe("30 seconds left");
    expect(spokenTime(75)).toBe("1 min 15 s left");
  });
});

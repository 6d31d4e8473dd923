import { describe, expect, it } from "vitest";
import { nextIndex } from "./roving";

describe("nextIndex", () => {
  it("moves by one with the arrows and stops at the ends", () => {
    expect(nextIndex("ArrowRight", 0, 3)).toBe(1);
    expect(nextIndex("ArrowDown", 2, 3)).toBe(2);
    expect(nextIndex("ArrowLeft", 0, 3)).toBe(0);
    expect(nextIndex("ArrowUp", 2, 3)).toBe(1);
  });

  it("jumps to the ends with Home and End and ignores other keys", () => {
    expect(nextIndex("Home", 2, 3)).toBe(0);
    expect(nextIndex("End", 0, 3)).toBe(2);
    expect(nextIndex("Tab", 1, 3)).toBeNull();
    expect(nextIndex("Enter", 1, 3)).toBeNull();
  });
});

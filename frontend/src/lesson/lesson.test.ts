import { describe, expect, it } from "vitest";
import { formatUrlState, parseUrlState } from "../url/state";
import {
  FULL_LESSON,
  MAX_PARAM,
  MAX_TITLE,
  PARTS,
  PART_GROUPS,
  formatLesson,
  normaliseLesson,
  openedSelection,
  parseLesson,
  shownTab,
  shows,
  type Lesson,
  type Part,
} from "./lesson";

function lesson(hidden: Part[], title = ""): Lesson {
  return normaliseLesson(hidden, title);
}

/** The version-1 value of a JSON body, written by hand (not by formatLesson). */
function v1(body: unknown): string {
  return `1.${Buffer.from(JSON.stringify(body), "utf8").toString("base64url")}`;
}

describe("lesson links: the codec", () => {
  it("round-trips every single part, all parts but one tab, and titles", () => {
    for (const part of PARTS) {
      const one = lesson([part], "Today: what does a convolution do?");
      const value = formatLesson(one);
      expect(value, part).toMatch(/^1\.[A-Za-z0-9_-]+$/);
      expect(parseLesson(value)).toEqual({ lesson: one, problem: null });
    }
    const most = lesson(
      PARTS.filter((part) => part !== "explorer"),
      "Ünïcödé 🎉 – ok",
    );
    expect(parseLesson(formatLesson(most)).lesson).toEqual(most);
  });

  it("writes a known, compact value: stable order, no padding", () => {
    const value = formatLesson(lesson(["upload", "playground", "flatten"], "Convolution"));
    expect(value).toBe(v1({ h: ["playground", "upload", "flatten"], t: "Convolution" }));
    expect(value?.length).toBeLessThan(100);
    expect(value).not.toContain("=");
  });

  it("writes nothing for a lesson that hides nothing and has no title", () => {
    expect(formatLesson(FULL_LESSON)).toBeNull();
    expect(formatLesson(lesson([], "   "))).toBeNull();
    expect(parseLesson(null)).toEqual({ lesson: null, problem: null });
    expect(parseLesson("")).toEqual({ lesson: null, problem: null });
  });

  it("reads a hand-written version-1 value, ignoring part names it does not know", () => {
    const read = parseLesson(
      v1({ h: ["upload", "hologram", 7, null, "relu"], t: "Title", extra: { x: 1 } }),
    );
    expect(read.problem).toBeNull();
    expect([...(read.lesson?.hidden ?? [])]).toEqual(["upload", "relu"]);
    expect(read.lesson?.title).toBe("Title");
    expect(parseLesson(v1({})).lesson).toEqual(FULL_LESSON);
  });

  it("keeps the title one bounded line", () => {
    expect(lesson([], "  two\nlines\t here ").title).toBe("two lines here");
    const long = "é".repeat(MAX_TITLE + 50);
    expect(lesson([], long).title).toHaveLength(MAX_TITLE);
    expect(parseLesson(v1({ t: long })).lesson?.title).toHaveLength(MAX_TITLE);
    // Cut by code point: no half emoji.
    const emoji = lesson([], "🎉".repeat(MAX_TITLE + 1)).title;
    expect(Array.from(emoji)).toHaveLength(MAX_TITLE);
    expect(emoji.endsWith("🎉")).toBe(true);
  });

  it("never leaves a lesson without a tab", () => {
    const none = lesson(["explorer", "playground"]);
    expect(none.hidden.has("explorer")).toBe(false);
    expect(parseLesson(v1({ h: ["explorer", "playground"] })).lesson?.hidden).toEqual(
      new Set(["playground"]),
    );
  });

  it("refuses garbage gracefully, saying why, and never throws", () => {
    const garbage = [
      "garbage",
      "1",
      "1.",
      "1.!!!!",
      "1.a",
      "x.e30",
      ".e30",
      "1.e3",
      "-1.abc",
      "1.5.abc",
      v1([1, 2]),
      v1("text"),
      v1(null),
      v1({ h: "upload" }),
      v1({ t: 5 }),
      v1({ h: { 0: "upload" } }),
      `1.${Buffer.from([0xff, 0xfe, 0x7b]).toString("base64url")}`, // not UTF-8
      `1.${Buffer.from('{"h":[', "utf8").toString("base64url")}`, // cut short
    ];
    for (const value of garbage) {
      const read = parseLesson(value);
      expect(read.lesson, value).toBeNull();
      expect(read.problem, value).toMatch(/damaged/);
    }
    // "1." reads as an empty body, which is not JSON: damaged, not a lesson of nothing.
    expect(parseLesson("1.").problem).not.toBeNull();
  });

  it("refuses a value that is too long, before decoding it", () => {
    const huge = v1({ h: ["upload"], t: "x".repeat(MAX_PARAM) });
    expect(huge.length).toBeGreaterThan(MAX_PARAM);
    expect(parseLesson(huge)).toEqual({
      lesson: null,
      problem: expect.stringMatching(/too long/) as unknown,
    });
    // Every part hidden with the longest title of four-byte characters still fits.
    const widest =
      formatLesson(
        lesson(
          PARTS.filter((part) => part !== "explorer"),
          "😀".repeat(MAX_TITLE),
        ),
      ) ?? "";
    expect(widest.length).toBeLessThanOrEqual(MAX_PARAM);
    expect(parseLesson(widest).problem).toBeNull();
  });

  it("tells a newer version from a damaged one, and reads no version 0", () => {
    expect(parseLesson("2.eyJoIjpbXX0").problem).toMatch(/newer CNN 101/);
    expect(parseLesson("0.eyJoIjpbXX0").problem).toMatch(/damaged/);
  });
});

describe("lesson links: what is shown", () => {
  it("shows everything without a lesson", () => {
    for (const part of PARTS) expect(shows(null, part)).toBe(true);
    for (const part of PARTS) expect(shows(FULL_LESSON, part)).toBe(true);
  });

  it("hides exactly the hidden parts, and details with the view they open from", () => {
    const noConv = lesson(["conv"]);
    expect(shows(noConv, "conv")).toBe(false);
    expect(shows(noConv, "conv-detail")).toBe(false);
    expect(shows(noConv, "relu")).toBe(true);
    const noFlatten = lesson(["flatten"]);
    expect(shows(noFlatten, "softmax")).toBe(false);
    expect(shows(noFlatten, "conv-detail")).toBe(true);
    const noDetail = lesson(["conv-detail"]);
    expect(shows(noDetail, "conv")).toBe(true);
    expect(shows(noDetail, "conv-detail")).toBe(false);
    for (const part of PART_GROUPS.inputs) {
      const one = lesson([part]);
      for (const other of PARTS)
        expect(shows(one, other), `${part} hides ${other}`).toBe(other !== part);
    }
  });

  it("keeps a tab on screen", () => {
    expect(shownTab(null, undefined)).toBe("explorer");
    expect(shownTab(null, "playground")).toBe("playground");
    expect(shownTab(lesson(["playground"]), "playground")).toBe("explorer");
    expect(shownTab(lesson(["explorer"]), undefined)).toBe("playground");
    // Built by hand with both hidden (a link normalises this away): the explorer stays.
    const both: Lesson = { hidden: new Set(["explorer", "playground"]), title: "" };
    expect(shows(both, "explorer")).toBe(true);
    expect(shownTab(both, "playground")).toBe("explorer");
  });

  it("opens no view the lesson hides, and no hidden detail", () => {
    const conv = { layer: "conv_1_1", index: 2 };
    const pixel = { kind: "pixel" as const, y: 1, x: 2, channel: null };
    const softmax = { kind: "softmax" as const };
    expect(openedSelection(lesson(["conv"]), conv, pixel, "conv")).toEqual({
      neuron: null,
      detail: null,
    });
    expect(openedSelection(lesson(["conv-detail"]), conv, pixel, "conv")).toEqual({
      neuron: conv,
      detail: null,
    });
    expect(openedSelection(lesson(["relu"]), conv, pixel, "conv")).toEqual({
      neuron: conv,
      detail: pixel,
    });
    expect(openedSelection(lesson(["relu"]), conv, pixel, "relu")).toEqual({
      neuron: null,
      detail: null,
    });
    expect(openedSelection(lesson(["pool"]), conv, pixel, "max_pool")).toEqual({
      neuron: null,
      detail: null,
    });
    expect(openedSelection(lesson(["softmax"]), conv, softmax, "classifier")).toEqual({
      neuron: conv,
      detail: null,
    });
    expect(openedSelection(lesson(["flatten"]), conv, softmax, "classifier")).toEqual({
      neuron: null,
      detail: null,
    });
    expect(openedSelection(null, conv, softmax, "classifier")).toEqual({
      neuron: conv,
      detail: softmax,
    });
    expect(openedSelection(lesson(["conv"]), null, null, null)).toEqual({
      neuron: null,
      detail: null,
    });
    // A layer without a view (unknown name): left to the views, which open nothing.
    expect(openedSelection(lesson(["conv"]), conv, pixel, null)).toEqual({
      neuron: conv,
      detail: pixel,
    });
  });
});

describe("lesson links in the URL state", () => {
  it("carries the lesson, tab and embedding through the app's own rewrites", () => {
    const value = formatLesson(lesson(["playground", "upload"], "Today")) ?? "";
    const state = parseUrlState(`?example=val_1&lesson=${value}&tab=playground&embed=study`);
    expect(state.lesson).toBe(value);
    expect(state.tab).toBe("playground");
    expect(state.embed).toBe("study");
    // What the app does when a student picks another example and opens a neuron.
    const next = {
      ...state,
      image: { kind: "example" as const, id: "val_2" },
      neuron: { layer: "conv_1_1", index: 0 },
    };
    const reread = parseUrlState(formatUrlState(next));
    expect(reread).toEqual(next);
    expect(parseLesson(reread.lesson).lesson?.hidden).toEqual(new Set(["playground", "upload"]));
  });

  it("carries even a damaged lesson verbatim, so the notice stays after a rewrite", () => {
    const state = parseUrlState("?lesson=garbage%20%26%20more");
    expect(state.lesson).toBe("garbage & more");
    expect(parseUrlState(formatUrlState(state)).lesson).toBe("garbage & more");
  });
});

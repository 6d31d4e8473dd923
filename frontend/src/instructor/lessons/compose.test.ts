import { describe, expect, it } from "vitest";
import { normaliseLesson, parseLesson } from "../../lesson/lesson";
import { DEFAULT_STATE, parseUrlState } from "../../url/state";
import { describeStart, lessonLink, startFromLink } from "./compose";

const ORIGIN = "http://127.0.0.1:9000";

describe("the lesson composer", () => {
  it("makes a link of the start and the lesson, without version or embedding", () => {
    const lesson = normaliseLesson(["playground", "upload", "flatten"], "Today: convolution");
    const start = {
      ...parseUrlState(
        "?model=tiny_vgg&version=3&example=val_7&neuron=conv_1_1:2&embed=study&lesson=old",
      ),
      scope: "module" as const,
    };
    const link = lessonLink(ORIGIN, start, lesson);
    expect(
      link.startsWith(
        `${ORIGIN}/?model=tiny_vgg&example=val_7&scope=module&neuron=conv_1_1%3A2&lesson=1.`,
      ),
    ).toBe(true);
    const back = parseUrlState(new URL(link).search);
    expect(back.version).toBeNull();
    expect(back.embed).toBeUndefined();
    expect(parseLesson(back.lesson).lesson).toEqual(lesson);
  });

  it("makes a plain explorer link of a lesson that hides nothing", () => {
    expect(lessonLink(ORIGIN, DEFAULT_STATE, normaliseLesson([]))).toBe(`${ORIGIN}/`);
  });

  it("reads pasted explorer links, full or just the query, from any host", () => {
    expect(
      startFromLink("  http://10.0.0.5:8000/?example=val_1&neuron=relu_1_1:0&detail=3,4 ", ORIGIN)
        ?.start,
    ).toEqual(parseUrlState("?example=val_1&neuron=relu_1_1:0&detail=3,4"));
    expect(startFromLink("?example=val_2", ORIGIN)?.start.image).toEqual({
      kind: "example",
      id: "val_2",
    });
    expect(startFromLink(`${ORIGIN}/index.html?tab=playground`, ORIGIN)?.start.tab).toBe(
      "playground",
    );
  });

  it("refuses what is not an explorer link", () => {
    for (const text of [
      "",
      "   ",
      `${ORIGIN}/study.html?x=1`,
      `${ORIGIN}/instructor.html`,
      "javascript:alert(1)",
      "http://[::1",
      "mailto:a@b.c",
    ]) {
      expect(startFromLink(text, ORIGIN), text).toBeNull();
    }
  });

  it("describes a start in words", () => {
    expect(describeStart(DEFAULT_STATE)).toBe("the default model, the first example");
    expect(
      describeStart(
        parseUrlState("?model=m&example=val_3&neuron=softmax:2&detail=softmax&scope=global"),
      ),
    ).toBe(
      "model m, example val_3, colour scope global, neuron 3 of softmax open, its softmax detail",
    );
  });
});

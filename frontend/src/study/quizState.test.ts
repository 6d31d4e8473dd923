import { describe, expect, it } from "vitest";
import type { QuizItem } from "../api/student";
import {
  initialQuizState,
  nextOpenIndex,
  quizReducer,
  savedCount,
  submissionIdFor,
} from "./quizState";

const items: QuizItem[] = [1, 2, 3, 4].map((id) => ({
  id: id * 10,
  position: id,
  stem: `Q${id}`,
  options: ["a", "b", "c"],
}));

describe("quiz state", () => {
  it("resumes at the first unanswered item with the stored answers", () => {
    const state = initialQuizState(items, { "10": 1, "20": 0 });
    expect(state.index).toBe(2);
    expect(state.saved).toEqual({ 10: 1, 20: 0 });
    expect(initialQuizState(items, { "10": 0, "20": 0, "30": 0, "40": 2 }).index).toBe(0);
  });

  it("goes from a choice through saving to saved, and a saved answer is final", () => {
    let state = initialQuizState(items, {});
    state = quizReducer(state, { type: "choose", itemId: 10, choice: 2 });
    expect(state.chosen).toEqual({ 10: 2 });
    state = quizReducer(state, { type: "saving", itemId: 10, choice: 2, submissionId: "s1" });
    // While it is being sent, the choice cannot change.
    expect(quizReducer(state, { type: "choose", itemId: 10, choice: 0 })).toBe(state);
    state = quizReducer(state, { type: "saved", itemId: 10, choice: 2 });
    expect(state.saved).toEqual({ 10: 2 });
    expect(state.saving).toEqual({});
    expect(state.chosen).toEqual({});
    expect(quizReducer(state, { type: "choose", itemId: 10, choice: 1 })).toBe(state);
    expect(savedCount(items, state.saved)).toBe(1);
  });

  it("keeps a failure's message until the next choice", () => {
    let state = quizReducer(initialQuizState(items, {}), {
      type: "saving",
      itemId: 20,
      choice: 1,
      submissionId: "s",
    });
    state = quizReducer(state, { type: "failed", itemId: 20, message: "offline" });
    expect(state.errors).toEqual({ 20: "offline" });
    expect(state.saving).toEqual({});
    state = quizReducer(state, { type: "choose", itemId: 20, choice: 0 });
    expect(state.errors).toEqual({});
  });

  it("clamps navigation and finds the next open item, wrapping round", () => {
    const state = initialQuizState(items, {});
    expect(quizReducer(state, { type: "goto", index: 9, count: 4 }).index).toBe(3);
    expect(quizReducer(state, { type: "goto", index: -1, count: 4 }).index).toBe(0);
    expect(nextOpenIndex(items, { 30: 1, 40: 0 }, 1)).toBe(0);
    expect(nextOpenIndex(items, { 10: 1, 20: 0, 30: 0, 40: 0 }, 1)).toBe(-1);
  });

  it("reuses the submission id only when the same choice is sent again", () => {
    const retries = new Map([[10, { choice: 2, submissionId: "first" }]]);
    let counter = 0;
    const fresh = () => `new${(counter += 1)}`;
    expect(submissionIdFor(retries, 10, 2, fresh)).toBe("first");
    expect(submissionIdFor(retries, 10, 1, fresh)).toBe("new1");
    expect(submissionIdFor(retries, 20, 2, fresh)).toBe("new2");
  });
});

/**
 * A quiz's form state: the item shown, choices made, answers being saved and answers the
 * server acknowledged. An acknowledged answer is final (the service stores one per item);
 * a retry of the same choice reuses its submission id, so it is never counted twice.
 */
import type { QuizItem } from "../api/student";

export interface QuizState {
  index: number;
  /** item id → the option picked, not yet sent. */
  chosen: Record<number, number>;
  /** item id → the choice and the submission id being sent (kept for retries). */
  saving: Record<number, { choice: number; submissionId: string }>;
  /** item id → the choice the server acknowledged. */
  saved: Record<number, number>;
  errors: Record<number, string>;
}

export type QuizAction =
  | { type: "choose"; itemId: number; choice: number }
  | { type: "saving"; itemId: number; choice: number; submissionId: string }
  | { type: "saved"; itemId: number; choice: number }
  | { type: "failed"; itemId: number; message: string }
  | { type: "goto"; index: number; count: number };

export function initialQuizState(items: QuizItem[], answered: Record<string, number>): QuizState {
  const saved: Record<number, number> = {};
  for (const [id, choice] of Object.entries(answered)) saved[Number(id)] = choice;
  const firstOpen = items.findIndex((item) => !(item.id in saved));
  return { index: firstOpen === -1 ? 0 : firstOpen, chosen: {}, saving: {}, saved, errors: {} };
}

function without<T>(record: Record<number, T>, key: number): Record<number, T> {
  return Object.fromEntries(Object.entries(record).filter(([id]) => Number(id) !== key));
}

export function quizReducer(state: QuizState, action: QuizAction): QuizState {
  switch (action.type) {
    case "choose":
      if (action.itemId in state.saved || action.itemId in state.saving) return state;
      return {
        ...state,
        chosen: { ...state.chosen, [action.itemId]: action.choice },
        errors: without(state.errors, action.itemId),
      };
    case "saving":
      if (action.itemId in state.saved) return state;
      return {
        ...state,
        saving: {
          ...state.saving,
          [action.itemId]: { choice: action.choice, submissionId: action.submissionId },
        },
        errors: without(state.errors, action.itemId),
      };
    case "saved":
      return {
        ...state,
        saved: { ...state.saved, [action.itemId]: action.choice },
        saving: without(state.saving, action.itemId),
        chosen: without(state.chosen, action.itemId),
      };
    case "failed":
      return {
        ...state,
        saving: without(state.saving, action.itemId),
        errors: { ...state.errors, [action.itemId]: action.message },
      };
    case "goto":
      return {
        ...state,
        index: Math.min(Math.max(0, action.index), Math.max(0, action.count - 1)),
      };
  }
}

/** The submission id for sending `choice` on an item: the previous one when it is a retry. */
export function submissionIdFor(
  retries: ReadonlyMap<number, { choice: number; submissionId: string }>,
  itemId: number,
  choice: number,
  fresh: () => string,
): string {
  const previous = retries.get(itemId);
  return previous?.choice === choice ? previous.submissionId : fresh();
}

/** The next item after `from` without a saved answer (wrapping round), or -1. */
export function nextOpenIndex(
  items: QuizItem[],
  saved: Record<number, number>,
  from: number,
): number {
  for (let step = 1; step <= items.length; step += 1) {
    const index = (from + step) % items.length;
    const item = items[index];
    if (item && !(item.id in saved)) return index;
  }
  return -1;
}

export function savedCount(items: QuizItem[], saved: Record<number, number>): number {
  return items.filter((item) => item.id in saved).length;
}

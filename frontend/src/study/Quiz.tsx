/** A quiz: one question at a time or all on a page; each answer is sent and acknowledged. */
import { useEffect, useReducer, useRef, useState } from "react";
import {
  newSubmissionId,
  type PhaseView,
  type QuizItem,
  type QuizPhase,
  type StudentApi,
} from "../api/student";
import { Countdown } from "./Countdown";
import { ApiError, messageOf } from "../api/errors";
import {
  initialQuizState,
  nextOpenIndex,
  quizReducer,
  savedCount,
  submissionIdFor,
  type QuizState,
} from "./quizState";

type Layout = "one" | "all";
const LAYOUT_KEY = "cnn101.study.layout";

interface Props {
  api: StudentApi;
  phase: QuizPhase;
  view: PhaseView;
  deadline: number;
  locked: boolean;
  onExpire: () => void;
  onHandIn: () => Promise<void>;
  onStale: () => Promise<void>;
}

export function Quiz({ api, phase, view, deadline, locked, onExpire, onHandIn, onStale }: Props) {
  const items = view.items;
  const [state, dispatch] = useReducer(quizReducer, undefined, () =>
    initialQuizState(items, view.answered),
  );
  const [layout, setLayout] = useState<Layout>(() =>
    localStorage.getItem(LAYOUT_KEY) === "all" ? "all" : "one",
  );
  const [confirming, setConfirming] = useState(false);
  const retries = useRef(new Map<number, { choice: number; submissionId: string }>());
  const answered = savedCount(items, state.saved);

  const save = async (item: QuizItem) => {
    const choice = state.chosen[item.id];
    if (choice === undefined || locked) return;
    const submissionId = submissionIdFor(retries.current, item.id, choice, newSubmissionId);
    retries.current.set(item.id, { choice, submissionId });
    dispatch({ type: "saving", itemId: item.id, choice, submissionId });
    try {
      const receipt = await api.answer(submissionId, phase, item.id, choice);
      dispatch({ type: "saved", itemId: item.id, choice: receipt.choice_index });
      if (layout === "one") {
        const next = nextOpenIndex(
          items,
          { ...state.saved, [item.id]: choice },
          items.indexOf(item),
        );
        if (next !== -1) dispatch({ type: "goto", index: next, count: items.length });
      }
    } catch (caught) {
      dispatch({ type: "failed", itemId: item.id, message: messageOf(caught) });
      // Already answered (elsewhere) or the phase is over: the server knows better.
      if (caught instanceof ApiError && caught.status === 409) void onStale();
    }
  };

  const chooseLayout = (next: Layout) => {
    localStorage.setItem(LAYOUT_KEY, next);
    setLayout(next);
  };

  const current = items[state.index];
  return (
    <div className="quiz">
      <div className="quiz-bar">
        <Countdown deadline={deadline} label="Time left" onExpire={onExpire} />
        <p className="quiz-progress" data-testid="quiz-progress">
          {answered} of {items.length} answered
        </p>
        <fieldset className="layout-choice">
          <legend className="visually-hidden">Show</legend>
          <label>
            <input
              type="radio"
              name="layout"
              checked={layout === "one"}
              onChange={() => chooseLayout("one")}
            />{" "}
            One question at a time
          </label>
          <label>
            <input
              type="radio"
              name="layout"
              checked={layout === "all"}
              onChange={() => chooseLayout("all")}
            />{" "}
            All questions
          </label>
        </fieldset>
      </div>
      {layout === "one" && (
        <nav className="question-nav" aria-label="Questions">
          {items.map((item, index) => (
            <button
              key={item.id}
              type="button"
              className={`question-dot${item.id in state.saved ? " question-dot-saved" : ""}`}
              aria-current={index === state.index ? "step" : undefined}
              aria-label={`Question ${index + 1}${item.id in state.saved ? ", answered" : ""}`}
              onClick={() => dispatch({ type: "goto", index, count: items.length })}
            >
              {index + 1}
            </button>
          ))}
        </nav>
      )}
      {layout === "one" && current && (
        <>
          <QuestionCard
            key={current.id}
            item={current}
            number={state.index + 1}
            total={items.length}
            state={state}
            locked={locked}
            dispatch={dispatch}
            onSave={save}
            autoFocus
          />
          <div className="quiz-steps">
            <button
              type="button"
              disabled={state.index === 0}
              onClick={() =>
                dispatch({ type: "goto", index: state.index - 1, count: items.length })
              }
            >
              Previous
            </button>
            <button
              type="button"
              disabled={state.index >= items.length - 1}
              onClick={() =>
                dispatch({ type: "goto", index: state.index + 1, count: items.length })
              }
            >
              Next
            </button>
          </div>
        </>
      )}
      {layout === "all" &&
        items.map((item, index) => (
          <QuestionCard
            key={item.id}
            item={item}
            number={index + 1}
            total={items.length}
            state={state}
            locked={locked}
            dispatch={dispatch}
            onSave={save}
          />
        ))}
      <div className="hand-in">
        {!confirming ? (
          <button
            type="button"
            className="primary"
            disabled={locked}
            onClick={() => (answered < items.length ? setConfirming(true) : void onHandIn())}
          >
            Hand in the test
          </button>
        ) : (
          <div role="group" aria-label="Confirm handing in">
            <p>
              {items.length - answered} question(s) have no saved answer and will count as wrong.
              Hand in anyway?
            </p>
            <button type="button" className="primary" onClick={() => void onHandIn()}>
              Hand in
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep working
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

interface CardProps {
  item: QuizItem;
  number: number;
  total: number;
  state: QuizState;
  locked: boolean;
  dispatch: (action: Parameters<typeof quizReducer>[1]) => void;
  onSave: (item: QuizItem) => Promise<void>;
  autoFocus?: boolean;
}

function QuestionCard({
  item,
  number,
  total,
  state,
  locked,
  dispatch,
  onSave,
  autoFocus = false,
}: CardProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (autoFocus) heading.current?.focus();
  }, [autoFocus]);
  const saved = state.saved[item.id];
  const saving = state.saving[item.id];
  const chosen = saved ?? saving?.choice ?? state.chosen[item.id];
  const final = saved !== undefined || saving !== undefined || locked;
  const error = state.errors[item.id];
  const headingId = `question-${item.id}`;
  return (
    <article
      className={`question${saved !== undefined ? " question-saved" : ""}`}
      aria-labelledby={headingId}
      data-testid="question"
      data-item={item.id}
    >
      <h3 id={headingId} ref={heading} tabIndex={-1}>
        Question {number} of {total}
      </h3>
      <fieldset className="options">
        <legend className="stem">{item.stem}</legend>
        {item.options.map((option, index) => (
          <label key={option} className={`option${chosen === index ? " option-chosen" : ""}`}>
            <input
              type="radio"
              name={`item-${item.id}`}
              value={index}
              checked={chosen === index}
              disabled={final}
              onChange={() => dispatch({ type: "choose", itemId: item.id, choice: index })}
            />
            <span>{option}</span>
          </label>
        ))}
      </fieldset>
      <div className="question-actions">
        {saved !== undefined ? (
          <p className="saved" role="status">
            Saved ✓
          </p>
        ) : (
          <button
            type="button"
            className="primary"
            disabled={chosen === undefined || final}
            onClick={() => void onSave(item)}
          >
            {saving ? "Saving…" : "Save answer"}
          </button>
        )}
        {error && (
          <p className="status status-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </article>
  );
}

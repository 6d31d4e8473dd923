/** The pre-test or post-test step: start (the server fixes the deadline), answer, hand in. */
import { useEffect, useMemo, useState } from "react";
import type { QuizPhase, StudentApi, StudentState } from "../api/student";
import { localDeadline } from "./countdown";
import { Quiz } from "./Quiz";
import { Page } from "./Page";

interface Props {
  api: StudentApi;
  state: StudentState;
  phase: QuizPhase;
  act: (action: () => Promise<unknown>) => Promise<void>;
  refresh: () => Promise<void>;
}

export function QuizStep({ api, state, phase, act, refresh }: Props) {
  const name = phase === "pre" ? "Pre-test" : "Post-test";
  const view = state.phase?.phase === phase ? state.phase : null;
  const deadline = useMemo(
    () => (view ? localDeadline(view.seconds_left, performance.now()) : 0),
    [view],
  );
  const [timeUp, setTimeUp] = useState(false);

  // After the deadline the server ends the phase (with a few seconds' grace for answers on
  // their way); ask until it has moved on.
  useEffect(() => {
    if (!timeUp) return;
    const timer = window.setInterval(() => void refresh(), 2000);
    return () => window.clearInterval(timer);
  }, [timeUp, refresh]);

  if (view === null) {
    return (
      <Page title={name}>
        <p>
          {phase === "pre"
            ? "First, a short test of what you already know. It is fine not to know the answers: guess, or leave a question out."
            : "Now a second test on the same concepts, with different numbers."}
        </p>
        <p>
          Each answer is saved when you press <em>Save answer</em> and cannot be changed afterwards.
          The timer starts when you press Start.
        </p>
        <button
          type="button"
          className="primary"
          onClick={() => void act(() => api.startPhase(phase))}
        >
          Start the {name.toLowerCase()}
        </button>
      </Page>
    );
  }
  return (
    <Page title={name}>
      {timeUp && (
        <p className="status" role="status">
          Time is up. Your saved answers are handed in…
        </p>
      )}
      <Quiz
        key={phase}
        api={api}
        phase={phase}
        view={view}
        deadline={deadline}
        locked={timeUp}
        onExpire={() => setTimeUp(true)}
        onHandIn={() => act(() => api.finishPhase(phase))}
        onStale={refresh}
      />
    </Page>
  );
}

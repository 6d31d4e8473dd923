/**
 * The learning phase: the explorer (cnn101) or the static tutorial (conventional), for the
 * same server-fixed time. Interaction events are batched to /api/student/events.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import type { PhaseView, StudentApi, StudentState } from "../api/student";
import { localDeadline } from "./countdown";
import { Countdown } from "./Countdown";
import { EventBatcher } from "./events";
import { ExplorerFrame } from "./ExplorerFrame";
import { Page } from "./Page";
import { Tutorial } from "./tutorial/Tutorial";

const FLUSH_EVERY_MS = 5000;

interface Props {
  api: StudentApi;
  state: StudentState;
  act: (action: () => Promise<unknown>) => Promise<void>;
  refresh: () => Promise<void>;
}

export function Learning({ api, state, act, refresh }: Props) {
  const view = state.phase?.phase === "learning" ? state.phase : null;
  const condition = view?.condition ?? state.condition;
  if (view === null) {
    return (
      <Page title="Learning phase">
        <p data-testid="condition" data-condition={condition ?? ""}>
          {condition === "cnn101"
            ? "You will learn with CNN 101, an interactive explorer of a small convolutional neural network. Click on its parts to see how they work."
            : "You will learn with a tutorial: pages of text with figures on how a convolutional neural network works."}
        </p>
        <p>
          The time is fixed and the same for everyone; the second test starts when it is over. The
          timer starts when you press Start.
        </p>
        <button
          type="button"
          className="primary"
          onClick={() => void act(() => api.startPhase("learning"))}
        >
          Start the learning phase
        </button>
      </Page>
    );
  }
  return (
    <LearningRunning
      key={view.started_at}
      api={api}
      view={view}
      condition={condition}
      refresh={refresh}
    />
  );
}

interface RunningProps {
  api: StudentApi;
  view: PhaseView;
  condition: string | null;
  refresh: () => Promise<void>;
}

function LearningRunning({ api, view, condition, refresh }: RunningProps) {
  const deadline = useMemo(() => localDeadline(view.seconds_left, performance.now()), [view]);
  const batcher = useMemo(() => new EventBatcher((events) => api.events(events)), [api]);
  const [over, setOver] = useState(false);
  const record = useCallback(
    (kind: string, payload: Record<string, unknown>) => batcher.record(kind, payload),
    [batcher],
  );

  useEffect(() => {
    record("learning.shown", { condition });
    const timer = window.setInterval(() => void batcher.flush(), FLUSH_EVERY_MS);
    const onVisibility = () => {
      record("page.visibility", { state: document.visibilityState });
      if (document.visibilityState === "hidden") void batcher.flush();
    };
    // The last events when the page goes away (a keepalive request outlives the page).
    const onHide = () => api.eventsOnLeave(batcher.take());
    document.addEventListener("visibilitychange", onVisibility);
    window.addEventListener("pagehide", onHide);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisibility);
      window.removeEventListener("pagehide", onHide);
      void batcher.flush();
    };
  }, [api, batcher, record, condition]);

  // The post-test may start the moment the time is over (no grace for learning). The views
  // unmount first and record their last time-in-view, so this flush sends it.
  useEffect(() => {
    if (!over) return;
    void batcher.flush().then(refresh);
    const timer = window.setInterval(() => void refresh(), 2000);
    return () => window.clearInterval(timer);
  }, [over, batcher, refresh]);

  return (
    <section className="learning" aria-label="Learning phase">
      <div className="learning-bar">
        <h2>
          {condition === "cnn101" ? "Explore CNN 101" : "Tutorial: how a CNN classifies an image"}
        </h2>
        <Countdown deadline={deadline} label="Learning time left" onExpire={() => setOver(true)} />
        <span className="hint">The second test starts when the time is over.</span>
      </div>
      {over && (
        <p className="status" role="status">
          The learning time is over. The post-test is next…
        </p>
      )}
      {!over && condition === "cnn101" && <ExplorerFrame record={record} />}
      {!over && condition !== "cnn101" && <Tutorial record={record} />}
    </section>
  );
}

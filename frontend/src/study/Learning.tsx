/**
 * The learning phase: the explorer (cnn101) or the conventional material (the static
 * tutorial, or the PDF or video the instructor uploaded), for the same server-fixed time.
 * Interaction events are batched to /api/student/events.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiError, messageOf } from "../api/errors";
import type { StudentMaterial } from "../api/material";
import type { PhaseView, StudentApi, StudentState } from "../api/student";
import { localDeadline } from "./countdown";
import { Countdown } from "./Countdown";
import { EventBatcher } from "./events";
import { ExplorerFrame } from "./ExplorerFrame";
import { MaterialView } from "./MaterialView";
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
            : "You will learn with conventional material (a tutorial, a document or a lecture video) on how a convolutional neural network works."}
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
  const material = useMaterial(api, condition);
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
        <h2>{heading(condition, material)}</h2>
        <Countdown deadline={deadline} label="Learning time left" onExpire={() => setOver(true)} />
        <span className="hint">The second test starts when the time is over.</span>
      </div>
      {over && (
        <p className="status" role="status">
          The learning time is over. The post-test is next…
        </p>
      )}
      {!over && condition === "cnn101" && <ExplorerFrame record={record} />}
      {!over && condition !== "cnn101" && material.state === "loading" && (
        <p className="status" role="status">
          Loading the material…
        </p>
      )}
      {!over && condition !== "cnn101" && material.state === "failed" && (
        <p className="status status-error" role="alert">
          {material.message}
        </p>
      )}
      {!over && condition !== "cnn101" && material.state === "tutorial" && (
        <Tutorial record={record} />
      )}
      {!over && condition !== "cnn101" && material.state === "uploaded" && (
        <MaterialView material={material.material} record={record} />
      )}
    </section>
  );
}

type MaterialState =
  | { state: "loading" }
  | { state: "tutorial" }
  | { state: "uploaded"; material: StudentMaterial }
  | { state: "failed"; message: string };

/** The conventional arm's material: the uploaded one, else (404) the built-in tutorial. */
function useMaterial(api: StudentApi, condition: string | null): MaterialState {
  const [material, setMaterial] = useState<MaterialState>({ state: "loading" });
  useEffect(() => {
    if (condition === "cnn101") return;
    let live = true;
    api.material().then(
      (found) => live && setMaterial({ state: "uploaded", material: found }),
      (error: unknown) => {
        if (!live) return;
        if (error instanceof ApiError && error.code === "no_material") {
          setMaterial({ state: "tutorial" });
        } else {
          setMaterial({ state: "failed", message: messageOf(error) });
        }
      },
    );
    return () => {
      live = false;
    };
  }, [api, condition]);
  return material;
}

function heading(condition: string | null, material: MaterialState): string {
  if (condition === "cnn101") return "Explore CNN 101";
  if (material.state === "uploaded") return material.material.title;
  return "Tutorial: how a CNN classifies an image";
}

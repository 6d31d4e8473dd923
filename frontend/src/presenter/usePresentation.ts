/**
 * Presenter mode in the explorer. Presenting: every change of the shared state is PUT the
 * moment the presenter makes it (in the click's own handler, before React renders the new
 * view: a render can take 100 ms), at most once per 50 ms with the latest state sent at the
 * end of a burst, only when it changed; the follower count is polled. Following: the
 * teacher's states arrive over Server-Sent Events and are applied like a shared link; the
 * student's own change (through the returned `setUrl`) leaves, "Follow again" rejoins at the
 * teacher's current state (the stream sends it first).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { UrlState } from "../url/state";
import type { ApplyUrlState, UpdateUrlState } from "../url/useUrlState";
import {
  endPresentation,
  eventsUrl,
  presentationInfo,
  sendState,
  type SharedState,
} from "../api/presentations";
import { forgetToken, tokenFor } from "./token";
import { initialMode, loadStoredMode, saveMode, type Mode } from "./mode";
import { sharedOf, urlChangeOf } from "./shared";

/** Changes closer together than this (a slider dragged) are sent once, the latest last. */
const SEND_INTERVAL_MS = 50;
const FOLLOWER_POLL_MS = 5000;
const RECONNECT_MS = 2000;

export interface Presentation {
  mode: Mode;
  followers: number | null;
  problem: string | null;
  /** The page's own changes: while following, they leave follow mode. */
  setUrl: UpdateUrlState;
  follow: (code: string) => void;
  leave: () => void;
  stop: () => void;
}

export function usePresentation(url: UrlState, setUrl: ApplyUrlState): Presentation {
  const [mode, setModeState] = useState<Mode>(() =>
    initialMode(window.location.search, loadStoredMode(), tokenFor),
  );
  const [followers, setFollowers] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const setMode = useCallback((next: Mode) => {
    saveMode(next);
    setModeState(next);
    setProblem(null);
  }, []);
  useEffect(() => saveMode(mode), [mode]);

  // Presenting: send each new state.
  const code = mode.kind === "none" ? null : mode.code;
  const token = mode.kind === "presenting" ? mode.token : null;
  const shared = url.model === null ? null : JSON.stringify(sharedOf(url));
  const sent = useRef<string | null>(null);
  const lastSentAt = useRef(Number.NEGATIVE_INFINITY);
  const pending = useRef<number | undefined>(undefined);
  const publish = useCallback(
    (json: string) => {
      if (code === null || token === null || json === sent.current) return;
      window.clearTimeout(pending.current);
      const send = () => {
        sent.current = json;
        lastSentAt.current = performance.now();
        sendState(code, token, JSON.parse(json) as SharedState).then(
          (count) => {
            setFollowers(count);
            setProblem(null);
          },
          (error: unknown) => {
            sent.current = null;
            setProblem(
              error instanceof Error ? error.message : "The change did not reach the class.",
            );
          },
        );
      };
      const wait = lastSentAt.current + SEND_INTERVAL_MS - performance.now();
      if (wait <= 0) send();
      else pending.current = window.setTimeout(send, wait);
    },
    [code, token],
  );
  useEffect(() => () => window.clearTimeout(pending.current), [code, token]);
  // Changes the page makes by itself (the first example, an upload's digest) are sent
  // when rendered; the presenter's own clicks were sent already (`own` below).
  useEffect(() => {
    if (shared !== null) publish(shared);
  }, [shared, publish]);

  // Presenting: how many follow.
  useEffect(() => {
    if (code === null || token === null) return;
    const poll = () =>
      void presentationInfo(code).then(
        (info) => {
          if (info === null) setMode({ kind: "none" });
          else setFollowers(info.followers);
        },
        () => undefined,
      );
    poll();
    const timer = window.setInterval(poll, FOLLOWER_POLL_MS);
    return () => window.clearInterval(timer);
  }, [code, token, setMode]);

  // Following: apply each state the teacher sends.
  const following = mode.kind === "following" ? mode.code : null;
  useEffect(() => {
    if (following === null) return;
    let source: EventSource | null = null;
    let retry: number | undefined;
    const connect = () => {
      const events = new EventSource(eventsUrl(following));
      source = events;
      events.addEventListener("state", (event: MessageEvent<string>) => {
        const change = urlChangeOf(JSON.parse(event.data));
        if (change !== null) setUrl(change, true);
        setProblem(null);
      });
      events.addEventListener("end", () => {
        events.close();
        setMode({ kind: "ended", code: following });
      });
      // EventSource reconnects by itself after a dropped stream; a refused one (404, 503) is final.
      events.onerror = () => {
        if (events.readyState !== EventSource.CLOSED) return;
        void presentationInfo(following).then(
          (info) => {
            if (info === null) setMode({ kind: "ended", code: following });
            else retry = window.setTimeout(connect, RECONNECT_MS);
          },
          () => {
            setProblem("The teacher's presentation is not reachable right now; trying again.");
            retry = window.setTimeout(connect, RECONNECT_MS);
          },
        );
      };
    };
    connect();
    return () => {
      source?.close();
      window.clearTimeout(retry);
    };
  }, [following, setUrl, setMode]);

  const own = useCallback<UpdateUrlState>(
    (change, replace) => {
      if (following !== null) setMode({ kind: "left", code: following });
      const next = setUrl(change, replace);
      if (next !== null && next.model !== null) publish(JSON.stringify(sharedOf(next)));
    },
    [following, setUrl, setMode, publish],
  );

  return {
    mode,
    followers,
    problem,
    setUrl: own,
    follow: (next) => setMode({ kind: "following", code: next }),
    leave: () => {
      if (following !== null) setMode({ kind: "left", code: following });
    },
    stop: () => {
      if (code !== null && token !== null)
        void endPresentation(code, token).then(() => forgetToken(code));
      setMode({ kind: "none" });
    },
  };
}

/** React binding of url/state: reads location.search, writes with pushState (Back works). */
import { useCallback, useEffect, useRef, useState } from "react";
import { formatUrlState, parseUrlState, type UrlState } from "./state";

/**
 * A change, or a function of the latest state giving one (null: no change). The function
 * form lets a view that finishes closing after an animation check it is still the open one.
 */
export type UrlChange = Partial<UrlState> | ((current: UrlState) => Partial<UrlState> | null);
export type UpdateUrlState = (change: UrlChange, replace?: boolean) => void;
/** The same, answering the state it made (null: no change), so presenter mode can send it at once. */
export type ApplyUrlState = (change: UrlChange, replace?: boolean) => UrlState | null;

export function useUrlState(): [UrlState, ApplyUrlState] {
  const [state, setState] = useState(() => parseUrlState(window.location.search));
  // The latest state outside React's updaters, so history is written once per change.
  const current = useRef(state);

  // Embedded in the study's learning phase (study.html), the parent records what is explored.
  useEffect(() => {
    if (window.parent !== window) {
      window.parent.postMessage({ type: "cnn101:url-state", state }, window.location.origin);
    }
  }, [state]);

  useEffect(() => {
    const onPop = () => {
      current.current = parseUrlState(window.location.search);
      setState(current.current);
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const update = useCallback<ApplyUrlState>((change, replace = false) => {
    const partial = typeof change === "function" ? change(current.current) : change;
    if (partial === null) return null;
    const next = { ...current.current, ...partial };
    current.current = next;
    const url = `${window.location.pathname}${formatUrlState(next)}`;
    if (replace) window.history.replaceState(null, "", url);
    else window.history.pushState(null, "", url);
    setState(next);
    return next;
  }, []);

  return [state, update];
}

/** React binding of url/state: reads location.search, writes with pushState (Back works). */
import { useCallback, useEffect, useRef, useState } from "react";
import { formatUrlState, parseUrlState, type UrlState } from "./state";

export type UpdateUrlState = (change: Partial<UrlState>, replace?: boolean) => void;

export function useUrlState(): [UrlState, UpdateUrlState] {
  const [state, setState] = useState(() => parseUrlState(window.location.search));
  // The latest state outside React's updaters, so history is written once per change.
  const current = useRef(state);

  useEffect(() => {
    const onPop = () => {
      current.current = parseUrlState(window.location.search);
      setState(current.current);
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const update = useCallback<UpdateUrlState>((change, replace = false) => {
    const next = { ...current.current, ...change };
    current.current = next;
    const url = `${window.location.pathname}${formatUrlState(next)}`;
    if (replace) window.history.replaceState(null, "", url);
    else window.history.pushState(null, "", url);
    setState(next);
  }, []);

  return [state, update];
}

/**
 * Once the first overview is drawn and the browser is idle, fetch what opening a neuron
 * needs (the views' code and the model's weights), so a click waits only for the view's
 * own animation. Skipped when the browser asks to save data.
 */
import { useEffect } from "react";

interface SaveDataNavigator {
  connection?: { saveData?: boolean };
}

/** Idle time, or a second later where the browser has no requestIdleCallback. */
function whenIdle(run: () => void): () => void {
  if (typeof window.requestIdleCallback === "function") {
    const handle = window.requestIdleCallback(run, { timeout: 3000 });
    return () => window.cancelIdleCallback(handle);
  }
  const handle = window.setTimeout(run, 1000);
  return () => window.clearTimeout(handle);
}

export function useIdlePrefetch(ready: boolean, prefetch: () => void): void {
  useEffect(() => {
    if (!ready || (navigator as SaveDataNavigator).connection?.saveData) return;
    return whenIdle(prefetch);
  }, [ready, prefetch]);
}

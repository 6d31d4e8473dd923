/**
 * The explorer (the main app) in an iframe. It posts its URL state to us on every change
 * (url/useUrlState.ts); ExplorerTracker turns those into study events.
 */
import { useEffect, useRef } from "react";
import { ExplorerTracker, snapshotFromMessage } from "./explorerEvents";

interface Props {
  record: (kind: string, payload: Record<string, unknown>) => void;
}

export function ExplorerFrame({ record }: Props) {
  const frame = useRef<HTMLIFrameElement>(null);
  useEffect(() => {
    const tracker = new ExplorerTracker();
    const emit = (events: { kind: string; payload: Record<string, unknown> }[]) => {
      for (const event of events) record(event.kind, event.payload);
    };
    const onMessage = (message: MessageEvent) => {
      if (
        message.origin !== window.location.origin ||
        message.source !== frame.current?.contentWindow
      )
        return;
      const snapshot = snapshotFromMessage(message.data);
      if (snapshot) emit(tracker.observe(snapshot, performance.now()));
    };
    window.addEventListener("message", onMessage);
    return () => {
      window.removeEventListener("message", onMessage);
      emit(tracker.finish(performance.now()));
    };
  }, [record]);
  return (
    <iframe
      ref={frame}
      className="explorer-frame"
      src="/?embed=study"
      title="CNN 101 explorer"
      data-testid="explorer-frame"
    />
  );
}

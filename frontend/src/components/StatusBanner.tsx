/** Loading, retrying and error messages in words a student understands; never a blank page. */
import { useEffect, useState } from "react";
import type { Notice } from "../state/useExplorer";

/** The countdown's words: whole seconds, rounded up, then "now" while the attempt runs. */
export function retryCountdown(retryAt: number, now: number): string {
  const seconds = Math.ceil((retryAt - now) / 1000);
  return seconds > 0 ? `Trying again in ${seconds} s.` : "Trying again now…";
}

const VISUALLY_HIDDEN = {
  position: "absolute",
  width: 1,
  height: 1,
  overflow: "hidden",
  clipPath: "inset(50%)",
  whiteSpace: "nowrap",
} as const;

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 250);
    return () => window.clearInterval(timer);
  }, [active]);
  return now;
}

export function StatusBanner({ notice }: { notice: Notice | null }) {
  const retryAt = notice?.retryAt;
  const now = useNow(retryAt !== undefined);
  if (notice === null) return null;
  return (
    <p
      className={`status status-${notice.kind}`}
      role={notice.kind === "error" ? "alert" : "status"}
      data-testid="status"
      data-kind={notice.kind}
    >
      {notice.message}
      {/* The ticking seconds are for the eyes; a screen reader hears the sentence once, not every second. */}
      {retryAt !== undefined && (
        <>
          {" "}
          <span data-testid="retry-countdown" aria-hidden="true">
            {retryCountdown(retryAt, now)}
          </span>
        </>
      )}
      {retryAt !== undefined && (
        <span style={VISUALLY_HIDDEN}> The page tries again by itself.</span>
      )}
    </p>
  );
}

/** The time left, from the server's deadline; a screen reader hears it only at a few moments. */
import { formatClock, isAnnounced, spokenTime, useCountdown } from "./countdown";

export function Countdown({
  deadline,
  label,
  onExpire,
}: {
  deadline: number;
  label: string;
  onExpire?: () => void;
}) {
  const left = useCountdown(deadline, onExpire);
  return (
    <div
      className={`countdown${left <= 60 ? " countdown-low" : ""}`}
      data-testid="countdown"
      data-seconds={left}
    >
      <span className="countdown-label">{label}</span>{" "}
      <span className="countdown-clock" aria-hidden="true">
        {formatClock(left)}
      </span>
      <span className="visually-hidden" aria-live="polite">
        {isAnnounced(left) ? spokenTime(left) : ""}
      </span>
      <span className="visually-hidden">{spokenTime(left)}</span>
    </div>
  );
}

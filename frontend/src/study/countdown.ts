/**
 * The time left in a phase, from the server's deadline. The server sends `seconds_left` with
 * each phase view; counting down from when that arrived, on the monotonic clock, keeps the
 * display right even when the student's wall clock is wrong.
 */
import { useEffect, useState } from "react";

/** The local monotonic moment (ms) the phase ends, from the server's seconds left. */
export function localDeadline(secondsLeft: number, receivedAtMs: number): number {
  return receivedAtMs + Math.max(0, secondsLeft) * 1000;
}

/** Whole seconds left, rounded up so "0:00" shows only when time is really over. */
export function secondsRemaining(deadlineMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((deadlineMs - nowMs) / 1000));
}

/** m:ss, or h:mm:ss from an hour. */
export function formatClock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** Words for a screen reader, announced only at a few moments (not every second). */
export function spokenTime(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (minutes === 0) return `${rest} seconds left`;
  return rest === 0
    ? `${minutes} minute${minutes === 1 ? "" : "s"} left`
    : `${minutes} min ${rest} s left`;
}

/** Announce at each whole minute up to 5, then at 30 and 10 seconds. */
export function isAnnounced(seconds: number): boolean {
  return (seconds > 0 && seconds <= 300 && seconds % 60 === 0) || seconds === 30 || seconds === 10;
}

/** Seconds left, ticking; `onExpire` runs once when it reaches zero. */
export function useCountdown(deadlineMs: number, onExpire?: () => void): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(performance.now()), 250);
    return () => window.clearInterval(timer);
  }, [deadlineMs]);
  const left = secondsRemaining(deadlineMs, now);
  useEffect(() => {
    if (left === 0) onExpire?.();
    // Only the moment of reaching zero matters, not a new callback identity.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [left === 0, deadlineMs]);
  return left;
}

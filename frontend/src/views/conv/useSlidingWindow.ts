/**
 * The position of the convolution's sliding window over the output map: it plays, pauses
 * and steps. With prefers-reduced-motion it never starts by itself.
 */
import { useCallback, useEffect, useRef, useState } from "react";

const STEP_MS = 120;

function prefersReducedMotion(): boolean {
  return (
    typeof window !== "undefined" && window.matchMedia("(prefers-reduced-motion: reduce)").matches
  );
}

export interface SlidingWindow {
  y: number;
  x: number;
  playing: boolean;
  reducedMotion: boolean;
  toggle: () => void;
  /** Stop where it is now (before a detail view opens on this pixel). */
  pause: () => void;
  step: (by: number) => void;
  moveTo: (y: number, x: number) => void;
}

/** `start`: a pixel to wait at (a detail view is open on it), so it does not play by itself. */
export function useSlidingWindow(
  height: number,
  width: number,
  start: { y: number; x: number } | null = null,
): SlidingWindow {
  const [reducedMotion] = useState(prefersReducedMotion);
  const [index, setIndex] = useState(() => (start ? Math.max(0, start.y * width + start.x) : 0));
  const [playing, setPlaying] = useState(() => start === null && !prefersReducedMotion());
  // Read by the timer's update: a tick already queued when the window is moved or paused
  // must not move it one more step (the view showed column 23 while the detail it had
  // just opened showed column 22).
  const playingNow = useRef(playing);
  const total = Math.max(1, height * width);

  const play = useCallback((value: boolean) => {
    playingNow.current = value;
    setPlaying(value);
  }, []);

  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(
      () => setIndex((current) => (playingNow.current ? (current + 1) % total : current)),
      STEP_MS,
    );
    return () => clearInterval(timer);
  }, [playing, total]);

  const step = useCallback(
    (by: number) => {
      play(false);
      setIndex((current) => (current + by + total) % total);
    },
    [total, play],
  );

  const moveTo = useCallback(
    (y: number, x: number) => {
      play(false);
      setIndex(Math.min(total - 1, Math.max(0, y * width + x)));
    },
    [total, width, play],
  );

  const safe = index % total;
  return {
    y: Math.floor(safe / Math.max(1, width)),
    x: safe % Math.max(1, width),
    playing,
    reducedMotion,
    toggle: () => play(!playingNow.current),
    pause: () => play(false),
    step,
    moveTo,
  };
}

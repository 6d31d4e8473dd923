/**
 * The position of the convolution's sliding window over the output map: it plays, pauses
 * and steps. With prefers-reduced-motion it never starts by itself.
 */
import { useCallback, useEffect, useState } from "react";

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
  const total = Math.max(1, height * width);

  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => setIndex((current) => (current + 1) % total), STEP_MS);
    return () => clearInterval(timer);
  }, [playing, total]);

  const step = useCallback(
    (by: number) => {
      setPlaying(false);
      setIndex((current) => (current + by + total) % total);
    },
    [total],
  );

  const moveTo = useCallback(
    (y: number, x: number) => {
      setPlaying(false);
      setIndex(Math.min(total - 1, Math.max(0, y * width + x)));
    },
    [total, width],
  );

  const safe = index % total;
  return {
    y: Math.floor(safe / Math.max(1, width)),
    x: safe % Math.max(1, width),
    playing,
    reducedMotion,
    toggle: () => setPlaying((current) => !current),
    step,
    moveTo,
  };
}

/**
 * Focus + context transitions between the overview, the intermediate views and the detail
 * views: a panel grows out of the element it explains (the clicked neuron or map) and
 * shrinks back into it on the way back. Nothing moves under prefers-reduced-motion.
 */
import { useLayoutEffect, type RefObject } from "react";

const DURATION_MS = 420;
const EASING = "cubic-bezier(0.2, 0.7, 0.2, 1)";

export function prefersReducedMotion(): boolean {
  return (
    typeof window !== "undefined" && window.matchMedia("(prefers-reduced-motion: reduce)").matches
  );
}

/** The keyframes that take `panel` from covering `origin` to its own place. */
function fromOrigin(panel: HTMLElement, origin: Element): Keyframe[] {
  const from = origin.getBoundingClientRect();
  const to = panel.getBoundingClientRect();
  const scaleX = Math.max(0.02, from.width / Math.max(1, to.width));
  const scaleY = Math.max(0.02, from.height / Math.max(1, to.height));
  return [
    {
      transformOrigin: "0 0",
      transform: `translate(${from.left - to.left}px, ${from.top - to.top}px) scale(${scaleX}, ${scaleY})`,
      opacity: 0.2,
    },
    { transformOrigin: "0 0", transform: "none", opacity: 1 },
  ];
}

/** Grows the panel out of the first element matching `originSelector` when it opens. */
export function useGrowFrom(
  panel: RefObject<HTMLElement | null>,
  originSelector: string | null,
): void {
  useLayoutEffect(() => {
    const element = panel.current;
    if (!element || prefersReducedMotion() || typeof element.animate !== "function") return;
    const origin = originSelector === null ? null : document.querySelector(originSelector);
    const frames = origin ? fromOrigin(element, origin) : [{ opacity: 0 }, { opacity: 1 }];
    const animation = element.animate(frames, { duration: DURATION_MS, easing: EASING });
    return () => animation.cancel();
    // Only on opening: the origin is where the student clicked, not where it is later.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
}

/** Shrinks the panel back into its origin, then calls `done` (at once with reduced motion). */
export function shrinkInto(
  panel: HTMLElement | null,
  originSelector: string | null,
  done: () => void,
): void {
  const origin = originSelector === null ? null : document.querySelector(originSelector);
  if (!panel || !origin || prefersReducedMotion() || typeof panel.animate !== "function") {
    done();
    return;
  }
  playThen(panel, [...fromOrigin(panel, origin)].reverse(), DURATION_MS * 0.8, done);
}

/** Plays `frames` and keeps the last one, then calls `done` once (finished or cancelled). */
function playThen(
  element: HTMLElement,
  frames: Keyframe[],
  duration: number,
  done: () => void,
): void {
  const animation = element.animate(frames, { duration, easing: EASING, fill: "forwards" });
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  animation.onfinish = finish;
  animation.oncancel = finish;
}

/** CSS selector of an overview neuron (its button carries data-layer and data-neuron). */
export function neuronSelector(layer: string, index: number): string {
  return `.overview [data-layer="${CSS.escape(layer)}"][data-neuron="${index}"]`;
}

/** CSS selector of an overview class row. */
export function classSelector(index: number): string {
  return `.overview [data-class][data-index="${index}"]`;
}

/** Fades a view in where it stands (one that opens in place, inside the overview). */
export function fadeIn(element: HTMLElement): void {
  if (prefersReducedMotion() || typeof element.animate !== "function") return;
  element.animate([{ opacity: 0 }, { opacity: 1 }], { duration: DURATION_MS, easing: EASING });
}

/** Fades it out, then calls `done` (at once with reduced motion). */
export function fadeOut(element: HTMLElement | null, done: () => void): void {
  if (!element || prefersReducedMotion() || typeof element.animate !== "function") {
    done();
    return;
  }
  playThen(element, [{ opacity: 1 }, { opacity: 0 }], DURATION_MS, done);
}

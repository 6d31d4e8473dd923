/**
 * A group of controls as one Tab stop (the WAI-ARIA toolbar pattern): Tab enters and leaves
 * the group, the arrow keys, Home and End move the focus inside it. Used where a row of
 * controls would otherwise cost a keyboard user one Tab each on the way to the network.
 */
import type { KeyboardEvent } from "react";

/** The index the focus moves to for `key` from `index` of `count`, or null for other keys. */
export function nextIndex(key: string, index: number, count: number): number | null {
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return Math.min(index + 1, count - 1);
    case "ArrowLeft":
    case "ArrowUp":
      return Math.max(index - 1, 0);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

/** The group's keydown handler: moves the focus and the Tab stop to the next control. */
export function moveFocusWithin(event: KeyboardEvent<HTMLElement>): void {
  const controls = [
    ...event.currentTarget.querySelectorAll<HTMLButtonElement | HTMLInputElement>(
      "button:not(:disabled), input:not(:disabled)",
    ),
  ];
  const index = controls.findIndex((control) => control === document.activeElement);
  const next = index < 0 ? null : nextIndex(event.key, index, controls.length);
  if (next === null) return;
  event.preventDefault();
  controls.forEach((control, position) => {
    control.tabIndex = position === next ? 0 : -1;
  });
  controls[next]?.focus();
}

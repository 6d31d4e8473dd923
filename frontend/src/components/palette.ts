/**
 * The chosen colour palette, remembered in localStorage so a student who needs the
 * colour-blind-safe one chooses it once. `usePalette` re-renders on a change; the painting
 * functions of math/colour read the same choice.
 */
import { useSyncExternalStore } from "react";
import {
  currentPalette,
  isPaletteName,
  PALETTES,
  setPalette,
  type PaletteName,
} from "../math/colour";

const STORAGE_KEY = "cnn101.palette";
const listeners = new Set<() => void>();

function stored(): PaletteName | null {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return isPaletteName(value) ? value : null;
  } catch {
    return null; // storage refused (private mode, policy): the default palette
  }
}

/** The palette's highlight ring and halo as CSS variables (styles/base.css uses them). */
function applyHighlight(name: PaletteName): void {
  if (typeof document === "undefined") return;
  const { highlight, halo } = PALETTES[name];
  document.documentElement.style.setProperty("--highlight", highlight);
  document.documentElement.style.setProperty("--highlight-halo", halo);
}

const remembered = typeof window === "undefined" ? null : stored();
if (remembered) setPalette(remembered);
applyHighlight(currentPalette());

export function choosePalette(name: PaletteName): void {
  if (name === currentPalette()) return;
  setPalette(name);
  applyHighlight(name);
  try {
    window.localStorage.setItem(STORAGE_KEY, name);
  } catch {
    // Not remembered, but still applied for this visit.
  }
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function usePalette(): PaletteName {
  return useSyncExternalStore(subscribe, currentPalette);
}

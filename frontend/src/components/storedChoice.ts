/**
 * A display choice remembered in localStorage (the palette, grey input channels), so a
 * student who needs it chooses it once. The value itself lives where the painting functions
 * read it (`get` and `set`, in math/colour); `use` re-renders a component on a change.
 */
import { useSyncExternalStore } from "react";

interface StoredChoiceOptions<T extends string> {
  key: string;
  isValid: (value: unknown) => value is T;
  get: () => T;
  /** Applies a value (and whatever follows from it, such as CSS variables). */
  set: (value: T) => void;
}

export interface StoredChoice<T extends string> {
  use: () => T;
  choose: (value: T) => void;
}

export function storedChoice<T extends string>({
  key,
  isValid,
  get,
  set,
}: StoredChoiceOptions<T>): StoredChoice<T> {
  const listeners = new Set<() => void>();
  let remembered: T | null = null;
  try {
    const value = typeof window === "undefined" ? null : window.localStorage.getItem(key);
    remembered = isValid(value) ? value : null;
  } catch {
    remembered = null; // storage refused (private mode, policy): the default
  }
  set(remembered ?? get());
  const subscribe = (listener: () => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return {
    use: () => useSyncExternalStore(subscribe, get),
    choose: (value: T) => {
      if (value === get()) return;
      set(value);
      try {
        window.localStorage.setItem(key, value);
      } catch {
        // Not remembered, but still applied for this visit.
      }
      for (const listener of listeners) listener();
    },
  };
}

/**
 * Which part this page plays in a presentation. Read once from `?present=` / `?follow=` (the
 * URL parser drops both on the next rewrite) and kept in sessionStorage, so a reload of the
 * tab stays in its part.
 */
import { normaliseCode } from "./shared";

export type Mode =
  | { kind: "none" }
  | { kind: "presenting"; code: string; token: string }
  | { kind: "following"; code: string }
  | { kind: "left"; code: string }
  | { kind: "ended"; code: string };

const MODE_KEY = "cnn101:presentation";

/** The mode a page opened with: the URL first, then what this tab was doing before a reload. */
export function initialMode(
  search: string,
  stored: string | null,
  tokenFor: (code: string) => string | null,
): Mode {
  const params = new URLSearchParams(search);
  const present = normaliseCode(params.get("present") ?? "");
  const follow = normaliseCode(params.get("follow") ?? "");
  if (present !== null) {
    const token = tokenFor(present);
    return token === null
      ? { kind: "following", code: present }
      : { kind: "presenting", code: present, token };
  }
  if (follow !== null) return { kind: "following", code: follow };
  const before = parseStored(stored);
  if (before?.kind === "presenting") {
    const token = tokenFor(before.code);
    return token === null ? { kind: "none" } : { kind: "presenting", code: before.code, token };
  }
  return before?.kind === "following" ? { kind: "following", code: before.code } : { kind: "none" };
}

function parseStored(text: string | null): { kind: string; code: string } | null {
  try {
    const value = JSON.parse(text ?? "null") as { kind?: unknown; code?: unknown } | null;
    const code = typeof value?.code === "string" ? normaliseCode(value.code) : null;
    return code !== null && typeof value?.kind === "string" ? { kind: value.kind, code } : null;
  } catch {
    return null;
  }
}

/** What to keep for a reload: only the presenting and following parts (never the token). */
export function storedMode(mode: Mode): string | null {
  return mode.kind === "presenting" || mode.kind === "following"
    ? JSON.stringify({ kind: mode.kind, code: mode.code })
    : null;
}

export function loadStoredMode(): string | null {
  return window.sessionStorage.getItem(MODE_KEY);
}

export function saveMode(mode: Mode): void {
  const text = storedMode(mode);
  if (text === null) window.sessionStorage.removeItem(MODE_KEY);
  else window.sessionStorage.setItem(MODE_KEY, text);
}

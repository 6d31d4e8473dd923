/**
 * The composer's pure parts: the link of a lesson and a starting state, and reading a
 * pasted explorer link. No React, so Vitest checks them.
 */
import { formatLesson, type Lesson } from "../../lesson/lesson";
import { formatUrlState, parseUrlState, type UrlState } from "../../url/state";

/** The explorer's pages: a pasted link to anything else (the study, this dashboard) is refused. */
const EXPLORER_PATHS = new Set(["/", "/index.html"]);

/**
 * The link students open: the explorer at `origin`, starting from `start`, with the lesson.
 * The model version is left out, so the lesson opens the newest version of the model (its
 * layers and neurons stay those the link names), and so is the study's embedding.
 */
export function lessonLink(origin: string, start: UrlState, lesson: Lesson): string {
  const value = formatLesson(lesson);
  const state: UrlState = { ...start, version: null, embed: undefined, lesson: value ?? undefined };
  return `${origin}/${formatUrlState(state)}`;
}

/** The state of a pasted explorer link (full address or just `?…`), or null when it is not one. */
export function startFromLink(text: string, origin: string): { start: UrlState } | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  let url: URL;
  try {
    url = new URL(trimmed, `${origin}/`);
  } catch {
    return null;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !EXPLORER_PATHS.has(url.pathname))
    return null;
  return { start: parseUrlState(url.search) };
}

/** A short description of a starting state, for the instructor. */
export function describeStart(state: UrlState): string {
  const parts: string[] = [];
  parts.push(state.model === null ? "the default model" : `model ${state.model}`);
  if (state.image?.kind === "example") parts.push(`example ${state.image.id}`);
  else if (state.image?.kind === "digest")
    parts.push(`an uploaded picture (${state.image.digest.slice(0, 8)}…)`);
  else parts.push("the first example");
  if (state.scope !== "unit") parts.push(`colour scope ${state.scope}`);
  if (state.neuron !== null)
    parts.push(`neuron ${state.neuron.index + 1} of ${state.neuron.layer} open`);
  if (state.neuron !== null && state.detail !== null)
    parts.push(state.detail.kind === "softmax" ? "its softmax detail" : "its detail view");
  if (state.tab === "playground") parts.push("on the playground");
  return parts.join(", ");
}

/**
 * Which models a student may choose: those the instructor published (the study service's
 * public `GET /api/student/models`) that the gateway also serves (`GET /api/models`). When
 * the study service cannot be asked, only the default model is offered, plus the model the
 * page shows (a shared link may name another one), so an outage never hides what is on screen.
 */
import type { ModelList } from "../api/client";

export interface PublishedModel {
  name: string;
  title: string;
  latest: number;
  classes: string[];
  accuracy: number | null;
}

export interface PublishedList {
  default: string;
  models: PublishedModel[];
}

export interface Choice {
  name: string;
  title: string;
}

/** The published list as sent, or null when it is not in the contract's shape. */
export function decodePublished(value: unknown): PublishedList | null {
  if (typeof value !== "object" || value === null) return null;
  const raw = value as { default?: unknown; models?: unknown };
  if (!Array.isArray(raw.models)) return null;
  const models: PublishedModel[] = [];
  for (const entry of raw.models as unknown[]) {
    if (typeof entry !== "object" || entry === null) continue;
    const model = entry as Record<string, unknown>;
    if (typeof model.name !== "string" || model.name === "") continue;
    models.push({
      name: model.name,
      title: typeof model.title === "string" && model.title !== "" ? model.title : model.name,
      latest: typeof model.latest === "number" ? model.latest : 0,
      classes: Array.isArray(model.classes) ? model.classes.map(String) : [],
      accuracy: typeof model.accuracy === "number" ? model.accuracy : null,
    });
  }
  return { default: typeof raw.default === "string" ? raw.default : "", models };
}

/** The models of the header's choice, default first, each once, only ones the gateway serves. */
export function modelChoices(served: ModelList, published: PublishedList | null, current: string): Choice[] {
  const servedNames = new Set(served.models.map((model) => model.name));
  const titles = new Map(published?.models.map((model) => [model.name, model.title]));
  const wanted: string[] = published === null
    ? [served.default]
    : [published.default || served.default, served.default, ...published.models.map((model) => model.name)];
  wanted.push(current);
  const seen = new Set<string>();
  const choices: Choice[] = [];
  for (const name of wanted) {
    if (!name || seen.has(name) || !servedNames.has(name)) continue;
    seen.add(name);
    choices.push({ name, title: titles.get(name) ?? name });
  }
  return choices;
}

/** One request, no retries: on any failure the choice falls back (see the module's comment). */
export async function fetchPublished(doFetch: typeof fetch = (input, init) => fetch(input, init)): Promise<PublishedList | null> {
  try {
    const response = await doFetch("/api/student/models", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return null;
    return decodePublished(await response.json());
  } catch {
    return null;
  }
}

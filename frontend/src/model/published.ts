/**
 * Which models a student may choose: those the instructor published (the model studio's
 * public list, api/studio.ts) that the gateway also serves (`GET /api/models`). When the
 * studio cannot be asked, only the default model is offered, plus the model the page shows
 * (a shared link may name another one), so an outage never hides what is on screen.
 */
import type { ModelList } from "../api/explorer";
import type { PublishedList } from "../api/studio";

export interface Choice {
  name: string;
  title: string;
}

/** The models of the header's choice, default first, each once, only ones the gateway serves. */
export function modelChoices(
  served: ModelList,
  published: PublishedList | null,
  current: string,
): Choice[] {
  const servedNames = new Set(served.models.map((model) => model.name));
  const titles = new Map(published?.models.map((model) => [model.name, model.title]));
  const wanted: string[] =
    published === null
      ? [served.default]
      : [
          published.default || served.default,
          served.default,
          ...published.models.map((model) => model.name),
        ];
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

/**
 * The state a presenter shares with followers: the explorer's URL state (url/state.ts) plus
 * the open tab, as JSON. A received state goes back through the URL parser, so followers
 * apply exactly what a shared link would, and nothing the link grammar refuses.
 */
import type { SharedState } from "../api/presentations";
import {
  formatDetail,
  parseUrlState,
  type DetailRef,
  type NeuronSelection,
  type UrlState,
} from "../url/state";

/** What the presenter sends: the parts of its URL state a class follows (the gateway's schema). */
export function sharedOf(url: UrlState): Required<SharedState> {
  return {
    model: url.model,
    version: url.version,
    image: url.image,
    scope: url.scope,
    neuron: url.neuron,
    detail: url.neuron === null ? null : url.detail,
    tab: url.tab ?? "explorer",
  };
}

/** The URL change a received state makes; null when it is not a state at all. */
export function urlChangeOf(
  received: unknown,
): Pick<UrlState, "model" | "version" | "image" | "scope" | "neuron" | "detail" | "tab"> | null {
  if (typeof received !== "object" || received === null || Array.isArray(received)) return null;
  const shared = received as Partial<Record<keyof SharedState, unknown>>;
  const params = new URLSearchParams();
  if (typeof shared.model === "string") params.set("model", shared.model);
  if (typeof shared.version === "number") params.set("version", String(shared.version));
  const image = shared.image as
    Partial<{ kind: string; id: unknown; digest: unknown }> | null | undefined;
  if (image?.kind === "example" && typeof image.id === "string") params.set("example", image.id);
  if (image?.kind === "digest" && typeof image.digest === "string")
    params.set("image", image.digest);
  if (typeof shared.scope === "string") params.set("scope", shared.scope);
  const neuron = shared.neuron as Partial<NeuronSelection> | null | undefined;
  if (typeof neuron?.layer === "string" && typeof neuron.index === "number")
    params.set("neuron", `${neuron.layer}:${neuron.index}`);
  const detail = shared.detail as DetailRef | null | undefined;
  if (
    detail?.kind === "softmax" ||
    (detail?.kind === "pixel" && Number.isInteger(detail.y) && Number.isInteger(detail.x))
  )
    params.set("detail", formatDetail(detail));
  const url = parseUrlState(`?${params.toString()}`);
  return {
    model: url.model,
    version: url.version,
    image: url.image,
    scope: url.scope,
    neuron: url.neuron,
    detail: url.detail,
    tab: shared.tab === "playground" ? "playground" : "explorer",
  };
}

const CODE = /^([A-Za-z0-9]{3})-?([A-Za-z0-9]{3})$/;

/** `k7p2qx`, ` K7P-2QX ` → `K7P-2QX`; null for anything that is not a code. */
export function normaliseCode(text: string): string | null {
  const match = CODE.exec(text.trim());
  return match?.[1] && match[2] ? `${match[1]}-${match[2]}`.toUpperCase() : null;
}

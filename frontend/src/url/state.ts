/**
 * The state a teacher shares: model, pinned version, image, colour scope, selected neuron,
 * open detail view, the tab, the lesson and the embedding, in the URL
 * (`?model=tiny_vgg&version=3&example=val_1083&scope=module&neuron=conv_2_1:4&detail=5,7`).
 * One parser, one formatter: whatever the app rewrites keeps every part it does not change.
 */
import { SCOPES, type Scope } from "../math/scopes";

export type ImageRef = { kind: "example"; id: string } | { kind: "digest"; digest: string };

/** A selected neuron: layer name and its index in that layer (opens its intermediate view). */
export interface NeuronSelection {
  layer: string;
  index: number;
}

/**
 * The open detail view of the selected neuron: the arithmetic at one output pixel (row y,
 * column x) of a map layer, with the input channel a convolution detail shows, or the
 * softmax of a class.
 */
export type DetailRef =
  { kind: "pixel"; y: number; x: number; channel: number | null } | { kind: "softmax" };

/** The page's tabs: the network explorer or the convolution playground. */
export type Tab = "explorer" | "playground";

/** How the page is embedded: inside the study's learning phase (study.html), without its header. */
export type Embed = "study";

export interface UrlState {
  model: string | null;
  /** Pinned once loaded so every view reads one version, even when a newer one appears. */
  version: number | null;
  image: ImageRef | null;
  scope: Scope;
  neuron: NeuronSelection | null;
  /** Only meaningful with a neuron: the detail view opened from its intermediate view. */
  detail: DetailRef | null;
  /** The open tab; absent means the explorer. */
  tab?: Tab;
  /**
   * The lesson (`lesson=`), carried verbatim so it survives every rewrite of the URL;
   * lesson/lesson.ts reads it (and says so when it cannot).
   */
  lesson?: string;
  /** Set when the study embeds the explorer (`embed=study`). */
  embed?: Embed;
}

export const DEFAULT_STATE: UrlState = {
  model: null,
  version: null,
  image: null,
  scope: "unit",
  neuron: null,
  detail: null,
};

const DIGEST = /^[0-9a-f]{64}$/;
const EXAMPLE_ID = /^[\w.-]{1,100}$/;
const MODEL_NAME = /^[\w.-]{1,100}$/;
const NEURON = /^([\w.-]{1,100}):(\d{1,5})$/;
const PIXEL = /^(\d{1,5}),(\d{1,5})(?:,(\d{1,5}))?$/;

function parseNeuron(text: string | null): NeuronSelection | null {
  const match = NEURON.exec(text ?? "");
  return match?.[1] && match[2] ? { layer: match[1], index: Number(match[2]) } : null;
}

function parseDetail(text: string | null): DetailRef | null {
  if (text === "softmax") return { kind: "softmax" };
  const match = PIXEL.exec(text ?? "");
  if (!match?.[1] || !match[2]) return null;
  return {
    kind: "pixel",
    y: Number(match[1]),
    x: Number(match[2]),
    channel: match[3] ? Number(match[3]) : null,
  };
}

export function formatDetail(detail: DetailRef): string {
  if (detail.kind === "softmax") return "softmax";
  return detail.channel === null
    ? `${detail.y},${detail.x}`
    : `${detail.y},${detail.x},${detail.channel}`;
}

export function parseUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const model = params.get("model");
  const version = Number(params.get("version"));
  const example = params.get("example");
  const digest = params.get("image")?.toLowerCase() ?? null;
  const scope = params.get("scope");
  const neuron = parseNeuron(params.get("neuron"));
  const lesson = params.get("lesson");
  let image: ImageRef | null = null;
  if (digest !== null && DIGEST.test(digest)) image = { kind: "digest", digest };
  else if (example !== null && EXAMPLE_ID.test(example)) image = { kind: "example", id: example };
  return {
    model: model !== null && MODEL_NAME.test(model) ? model : null,
    version: Number.isInteger(version) && version >= 1 ? version : null,
    image,
    scope: SCOPES.find((candidate) => candidate === scope) ?? DEFAULT_STATE.scope,
    neuron,
    detail: neuron === null ? null : parseDetail(params.get("detail")),
    ...(params.get("tab") === "playground" ? { tab: "playground" as const } : {}),
    ...(lesson !== null && lesson !== "" ? { lesson } : {}),
    ...(params.get("embed") === "study" ? { embed: "study" as const } : {}),
  };
}

export function formatUrlState(state: UrlState): string {
  const params = new URLSearchParams();
  if (state.model !== null) params.set("model", state.model);
  if (state.version !== null) params.set("version", String(state.version));
  if (state.image?.kind === "example") params.set("example", state.image.id);
  if (state.image?.kind === "digest") params.set("image", state.image.digest);
  if (state.scope !== DEFAULT_STATE.scope) params.set("scope", state.scope);
  if (state.neuron !== null) params.set("neuron", `${state.neuron.layer}:${state.neuron.index}`);
  if (state.neuron !== null && state.detail !== null)
    params.set("detail", formatDetail(state.detail));
  if (state.tab === "playground") params.set("tab", state.tab);
  if (state.embed !== undefined) params.set("embed", state.embed);
  if (state.lesson !== undefined && state.lesson !== "") params.set("lesson", state.lesson);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

export function sameNeuron(a: NeuronSelection | null, b: NeuronSelection | null): boolean {
  return a === null || b === null ? a === b : a.layer === b.layer && a.index === b.index;
}

export function sameImage(a: ImageRef | null, b: ImageRef | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind === "example" && b.kind === "example") return a.id === b.id;
  if (a.kind === "digest" && b.kind === "digest") return a.digest === b.digest;
  return false;
}

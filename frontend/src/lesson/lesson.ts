/**
 * Lessons: which parts of the explorer a link shows, and a title line. An instructor hides
 * what today's lesson does not need and shares the result as a link; the link carries
 * everything (no server storage), as `lesson=1.<base64url of a small JSON>`:
 * `{"h":["playground","upload"],"t":"Today: what does a convolution do?"}`. The version
 * prefix lets a later format be told apart; part names are stable, and a name this page
 * does not know (from a newer page) is ignored, so an old page shows more rather than fails.
 * One parser, one formatter, and the "is this part shown" rules, all without React.
 */

import type { ModelGraph } from "../model/graph";

/** Every part a lesson can hide, in the composer's groups. */
export const PART_GROUPS = {
  tabs: ["explorer", "playground"],
  inputs: ["examples", "upload", "camera", "drawing", "channels"],
  views: ["overview", "conv", "flatten", "conv-detail", "relu", "pool", "softmax"],
  controls: ["scope", "palette", "model"],
} as const;

export type PartGroup = keyof typeof PART_GROUPS;
export type Part = (typeof PART_GROUPS)[PartGroup][number];

export const PARTS: readonly Part[] = Object.values(PART_GROUPS).flat();

/** What a student sees for each part (the composer's check boxes). */
export const PART_LABELS: Record<Part, string> = {
  explorer: "Explorer",
  playground: "Playground",
  examples: "Example pictures",
  upload: "Upload a picture",
  camera: "Take a photo",
  drawing: "Draw a picture",
  channels: "Colour channel toggles",
  overview: "Overview (every layer)",
  conv: "Convolution intermediate view",
  flatten: "Flatten and softmax view",
  "conv-detail": "Convolution detail",
  relu: "ReLU detail",
  pool: "Max-pooling detail",
  softmax: "Softmax detail",
  scope: "Colour scope",
  palette: "Colour-blind-safe palette",
  model: "Model choice",
};

export const GROUP_LABELS: Record<PartGroup, string> = {
  tabs: "Tabs",
  inputs: "Inputs",
  views: "Views",
  controls: "Controls",
};

export interface Lesson {
  /** The parts not shown. */
  hidden: ReadonlySet<Part>;
  /** The line shown at the top ("Today: what does a convolution do?"); empty for none. */
  title: string;
}

export const FULL_LESSON: Lesson = { hidden: new Set(), title: "" };

/** The format written today. */
export const LESSON_VERSION = 1;
/** Longest title kept (longer ones are cut, at a character boundary). */
export const MAX_TITLE = 200;
/** Longest `lesson` value read: every part hidden and a full title of wide characters fit well under it. */
export const MAX_PARAM = 2000;

/** A lesson read from a link, or why it could not be (the page then shows everything and says so). */
export type LessonRead = { lesson: Lesson | null; problem: string | null };

const PART_SET: ReadonlySet<string> = new Set(PARTS);

function isPart(value: unknown): value is Part {
  return typeof value === "string" && PART_SET.has(value);
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const padded =
    text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  try {
    return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

function cutTitle(title: string): string {
  // Array.from splits by code point, so a cut never leaves half an emoji.
  const trimmed = title.replace(/\s+/g, " ").trim();
  return Array.from(trimmed).slice(0, MAX_TITLE).join("");
}

/** A lesson with its rules applied: at least one tab stays, the title is one bounded line. */
export function normaliseLesson(hidden: Iterable<Part>, title = ""): Lesson {
  const set = new Set(hidden);
  // A lesson without any tab would be an empty page: the explorer stays.
  if (set.has("explorer") && set.has("playground")) set.delete("explorer");
  return { hidden: set, title: cutTitle(title) };
}

/** The `lesson` value of a link, or null when the lesson hides nothing and has no title. */
export function formatLesson(lesson: Lesson): string | null {
  const normal = normaliseLesson(lesson.hidden, lesson.title);
  if (normal.hidden.size === 0 && normal.title === "") return null;
  const body: { h?: Part[]; t?: string } = {};
  // The composer's order, so one lesson always gives one link.
  if (normal.hidden.size > 0) body.h = PARTS.filter((part) => normal.hidden.has(part));
  if (normal.title !== "") body.t = normal.title;
  return `${LESSON_VERSION}.${toBase64Url(new TextEncoder().encode(JSON.stringify(body)))}`;
}

const DAMAGED = "This lesson link is damaged (perhaps cut short when it was copied)";

function readVersion1(payload: string): LessonRead {
  const bytes = fromBase64Url(payload);
  if (bytes === null) return { lesson: null, problem: DAMAGED };
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return { lesson: null, problem: DAMAGED };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { lesson: null, problem: DAMAGED };
  const { h, t } = body as { h?: unknown; t?: unknown };
  if ((h !== undefined && !Array.isArray(h)) || (t !== undefined && typeof t !== "string"))
    return { lesson: null, problem: DAMAGED };
  // Names this page does not know come from a newer page: ignored, so they are shown.
  return { lesson: normaliseLesson((h ?? []).filter(isPart), t ?? ""), problem: null };
}

/** Readers of each version of the format: an old link keeps working after a new one is added. */
const READERS: Record<number, (payload: string) => LessonRead> = { 1: readVersion1 };

/** Reads a link's `lesson` value; never throws. No value: no lesson and no problem. */
export function parseLesson(value: string | null | undefined): LessonRead {
  if (value === null || value === undefined || value === "") return { lesson: null, problem: null };
  if (value.length > MAX_PARAM)
    return { lesson: null, problem: "This lesson link is too long to be one made by CNN 101" };
  const match = /^(\d{1,4})\.(.*)$/s.exec(value);
  if (!match?.[1]) return { lesson: null, problem: DAMAGED };
  const version = Number(match[1]);
  const reader = READERS[version];
  if (reader) return reader(match[2] ?? "");
  if (version > LESSON_VERSION)
    return {
      lesson: null,
      problem: "This lesson link was made by a newer CNN 101 than this server runs",
    };
  return { lesson: null, problem: DAMAGED };
}

/** Parts that only open from another: hidden with it. */
const NEEDS: Partial<Record<Part, Part>> = { "conv-detail": "conv", softmax: "flatten" };

/** Whether a part is shown under a lesson (null: no lesson, everything is). */
export function shows(lesson: Lesson | null, part: Part): boolean {
  if (lesson === null) return true;
  if (part === "explorer" && lesson.hidden.has("playground")) return true;
  if (lesson.hidden.has(part)) return false;
  const needed = NEEDS[part];
  return needed === undefined || shows(lesson, needed);
}

/** The tab on screen: the one asked for if shown, else the other. */
export function shownTab(
  lesson: Lesson | null,
  asked: "explorer" | "playground" | undefined,
): "explorer" | "playground" {
  const tab = asked ?? "explorer";
  return shows(lesson, tab) ? tab : tab === "explorer" ? "playground" : "explorer";
}

/** The kinds of neuron with a view of their own, as the views tell them apart. */
export type NeuronKind = "conv" | "relu" | "max_pool" | "classifier";

/** The view a neuron opens: its intermediate view (conv, class) or its detail view (ReLU, max-pool). */
export function viewOfNeuron(kind: NeuronKind): Part {
  return kind === "conv"
    ? "conv"
    : kind === "relu"
      ? "relu"
      : kind === "max_pool"
        ? "pool"
        : "flatten";
}

/** The kind of a layer by name, as the views open it (null: no such layer, or no view of its own). */
export function neuronKindOf(
  graph: ModelGraph | null | undefined,
  layerName: string | null | undefined,
): NeuronKind | null {
  const type = graph?.layers.find((layer) => layer.name === layerName)?.type;
  if (type === "conv" || type === "relu" || type === "max_pool") return type;
  return type === "dense" || type === "softmax" ? "classifier" : null;
}

/**
 * What of the URL's neuron and detail view is opened: nothing of a hidden view, and no
 * detail view that is hidden (the neuron's own view still opens). `kind` is null for a layer
 * without a view.
 */
export function openedSelection<N, D extends { kind: "pixel" | "softmax" }>(
  lesson: Lesson | null,
  neuron: N | null,
  detail: D | null,
  kind: NeuronKind | null,
): { neuron: N | null; detail: D | null } {
  if (neuron === null) return { neuron: null, detail: null };
  if (kind !== null && !shows(lesson, viewOfNeuron(kind))) return { neuron: null, detail: null };
  if (detail === null || kind === null) return { neuron, detail };
  const detailPart: Part | null =
    kind === "conv" ? "conv-detail" : kind === "classifier" ? "softmax" : null;
  return { neuron, detail: detailPart !== null && !shows(lesson, detailPart) ? null : detail };
}

/** A typed client for the gateway's HTTP API (docs/serving.md), same-origin, relative URLs. */
import type { ModelVersion, WeightTensorEntry } from "../model/graph";
import { decodeBundle, type Bundle } from "./bundle";
import { ApiError, errorFromResponse, networkError, retryDelaySeconds } from "./errors";

export interface ModelList {
  default: string;
  models: { name: string; versions: number[]; latest: number }[];
}

export interface Example {
  id: string;
  label: number;
  class_name: string;
  digest: string;
  image_url: string;
  /** One image of all the class's examples side by side; this one is tile `sprite_index`. */
  sprite_url: string;
  sprite_index: number;
}

export interface ExampleList {
  model: string;
  version: number;
  examples: Example[];
}

export interface RetryNotice {
  error: ApiError;
  attempt: number;
  waitSeconds: number;
}

export interface ClientOptions {
  fetch?: typeof fetch;
  /** Called before each automatic retry of a 503 or a network failure, so the page can say so. */
  onRetry?: (notice: RetryNotice) => void;
  /** Called when no request is waiting to be retried any more (they succeeded or gave up). */
  onSettled?: () => void;
  sleep?: (seconds: number) => Promise<void>;
  maxAttempts?: number;
}

/** Decoded bundles (and requests under way) kept per URL: about 370 KB each for Tiny VGG. */
const KEPT_BUNDLES = 40;
/** The model list is asked for by the app and the model choice at once; one request serves both. */
const MODEL_LIST_SECONDS = 30;

const defaultSleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

function path(...parts: (string | number)[]): string {
  return parts.map((part) => encodeURIComponent(String(part))).join("/");
}

export function createClient(options: ClientOptions = {}) {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? defaultSleep;
  const maxAttempts = options.maxAttempts ?? 30;
  // Requests between a failure and their retry's outcome: the page's "trying again" message
  // stays while any is left, whichever request (a prefetch, the model list) failed.
  const waiting = new Set<object>();

  /** Retries 503s (after Retry-After, with bounded backoff) and network failures; other errors are final. */
  async function request(url: string, init?: RequestInit): Promise<Response> {
    const ticket = {};
    try {
      return await attempts(url, ticket, init);
    } finally {
      if (waiting.delete(ticket) && waiting.size === 0) options.onSettled?.();
    }
  }

  async function attempts(url: string, ticket: object, init?: RequestInit): Promise<Response> {
    for (let attempt = 1; ; attempt += 1) {
      let error: ApiError;
      try {
        const response = await doFetch(url, init);
        if (response.ok) return response;
        error = await errorFromResponse(response);
        if (response.status !== 503) throw error;
      } catch (caught) {
        if (caught instanceof ApiError) throw caught;
        error = networkError();
      }
      if (attempt >= maxAttempts) throw error;
      const waitSeconds = retryDelaySeconds(attempt, error.retryAfter);
      waiting.add(ticket);
      options.onRetry?.({ error, attempt, waitSeconds });
      await sleep(waitSeconds);
    }
  }

  async function json<T>(url: string): Promise<T> {
    return (await (await request(url)).json()) as T;
  }

  async function bundle(url: string, init?: RequestInit): Promise<Bundle> {
    const response = await request(url, init);
    return decodeBundle(new Uint8Array(await response.arrayBuffer()));
  }

  const query = (model: string, version: number) =>
    `model=${encodeURIComponent(model)}&version=${encodeURIComponent(String(version))}`;

  // Bundles are immutable per URL (model, version, image), so a request under way or done
  // is shared: a thumbnail hovered before it is clicked is usually decoded by the click.
  const bundles = new Map<string, Promise<Bundle>>();
  function sharedBundle(url: string): Promise<Bundle> {
    const known = bundles.get(url);
    if (known) {
      bundles.delete(url);
      bundles.set(url, known);
      return known;
    }
    const loading = bundle(url);
    bundles.set(url, loading);
    loading.catch(() => bundles.delete(url));
    const oldest = bundles.keys().next();
    if (bundles.size > KEPT_BUNDLES && !oldest.done) bundles.delete(oldest.value);
    return loading;
  }

  let modelList: { at: number; list: Promise<ModelList> } | null = null;
  function models(): Promise<ModelList> {
    const now = Date.now();
    if (modelList === null || now - modelList.at > MODEL_LIST_SECONDS * 1000) {
      const list = json<ModelList>("/api/models");
      modelList = { at: now, list };
      list.catch(() => { modelList = null; });
    }
    return modelList.list;
  }

  // A model's examples are asked for right after its description: both start together.
  const exampleLists = new Map<string, Promise<ExampleList>>();
  function examples(model: string): Promise<ExampleList> {
    const known = exampleLists.get(model);
    if (known) {
      exampleLists.delete(model); // served once: a later call (another visit) asks afresh
      return known;
    }
    return json<ExampleList>(`/api/examples?model=${encodeURIComponent(model)}`);
  }
  function described(model: string, url: string): Promise<ModelVersion> {
    if (!exampleLists.has(model)) {
      const list = examples(model);
      list.catch(() => exampleLists.delete(model));
      exampleLists.set(model, list);
    }
    return json<ModelVersion>(url);
  }

  return {
    models,
    newestModel: (name: string) => described(name, `/api/models/${path(name)}`),
    modelVersion: (name: string, version: number) => described(name, `/api/models/${path(name, "versions", version)}`),
    async weights(model: ModelVersion): Promise<Map<string, Float32Array>> {
      const buffer = await (await request(model.weights_url)).arrayBuffer();
      return weightsByManifest(buffer, model.description.weights.tensors);
    },
    examples,
    exampleBundle: (id: string, model: string, version: number) =>
      sharedBundle(`/api/examples/${path(id)}/activations?${query(model, version)}`),
    /** Starts loading an example's bundle the student is likely to open next (hover, focus). */
    prefetchExample(id: string, model: string, version: number): void {
      sharedBundle(`/api/examples/${path(id)}/activations?${query(model, version)}`).catch(() => undefined);
    },
    bundleByDigest: (model: string, version: number, digest: string) =>
      sharedBundle(`/api/models/${path(model, "versions", version, "activations", digest)}`),
    upload(file: Blob, model: string, version: number, filename = "upload.png"): Promise<Bundle> {
      const form = new FormData();
      form.append("file", file, filename);
      return bundle(`/api/activations?${query(model, version)}`, { method: "POST", body: form });
    },
  };
}

export type Client = ReturnType<typeof createClient>;

/** `layer/name` → the tensor's float32 values, per the manifest's byte offsets. */
export function weightsByManifest(buffer: ArrayBuffer, tensors: readonly WeightTensorEntry[]): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const entry of tensors) {
    if (entry.offset + entry.length > buffer.byteLength) {
      throw new ApiError(0, "bad_weights", `The weights file is shorter than the model says (${entry.layer} ${entry.name}).`);
    }
    // Offsets are multiples of 4 in weights.bin, so a view needs no copy; check rather than trust.
    const values = entry.offset % 4 === 0
      ? new Float32Array(buffer, entry.offset, entry.length / 4)
      : new Float32Array(buffer.slice(entry.offset, entry.offset + entry.length));
    weights.set(`${entry.layer}/${entry.name}`, values);
  }
  return weights;
}

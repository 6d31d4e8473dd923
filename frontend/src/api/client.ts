/** A typed client for the gateway's HTTP API (docs/serving.md), same-origin, relative URLs. */
import type { ModelVersion, WeightTensorEntry } from "../model/graph";
import { decodeBundle, type Bundle } from "./bundle";
import { ApiError, errorFromResponse, networkError } from "./errors";

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
  sleep?: (seconds: number) => Promise<void>;
  maxAttempts?: number;
}

const defaultSleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

function path(...parts: (string | number)[]): string {
  return parts.map((part) => encodeURIComponent(String(part))).join("/");
}

export function createClient(options: ClientOptions = {}) {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? defaultSleep;
  const maxAttempts = options.maxAttempts ?? 30;

  /** Retries 503s (after Retry-After) and network failures; other errors are final. */
  async function request(url: string, init?: RequestInit): Promise<Response> {
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
      const waitSeconds = error.retryAfter ?? 5;
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

  return {
    models: () => json<ModelList>("/api/models"),
    newestModel: (name: string) => json<ModelVersion>(`/api/models/${path(name)}`),
    modelVersion: (name: string, version: number) => json<ModelVersion>(`/api/models/${path(name, "versions", version)}`),
    async weights(model: ModelVersion): Promise<Map<string, Float32Array>> {
      const buffer = await (await request(model.weights_url)).arrayBuffer();
      return weightsByManifest(buffer, model.description.weights.tensors);
    },
    examples: (model: string) => json<ExampleList>(`/api/examples?model=${encodeURIComponent(model)}`),
    exampleImageUrl: (id: string, model: string) => `/api/examples/${path(id)}/image?model=${encodeURIComponent(model)}`,
    exampleBundle: (id: string, model: string, version: number) =>
      bundle(`/api/examples/${path(id)}/activations?${query(model, version)}`),
    bundleByDigest: (model: string, version: number, digest: string) =>
      bundle(`/api/models/${path(model, "versions", version, "activations", digest)}`),
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

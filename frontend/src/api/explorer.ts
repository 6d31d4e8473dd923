/**
 * The gateway's explorer endpoints (docs/serving.md): models, descriptions, weights, examples,
 * activation bundles and uploads. Requests only: what is kept, shared and refreshed is the
 * query cache's business (api/explorerQueries.ts).
 *
 * The model list, a model's description and the example list are typed here: the gateway's
 * OpenAPI document gives them no schema (they are free-form objects there).
 */
import type { ModelVersion, WeightTensorEntry } from "../model/graph";
import { decodeBundle, type Bundle } from "./bundle";
import { ApiError } from "./errors";
import { pathOf, type Http } from "./http";
import { fetchPublished } from "./studio";

/** `GET /api/models`. */
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
  /** The bundle: an immutable file the worker rendered, or the activations route until then. */
  bundle_url?: string;
}

/** `GET /api/examples?model=`. */
export interface ExampleList {
  model: string;
  version: number;
  /** The version's fingerprint: the list's `bundle_url`s hold for this version's files only. */
  fingerprint?: string;
  /** The example the explorer opens with (the one the model is surest of and right about). */
  featured?: string | null;
  examples: Example[];
}

/** Large enough for a 10 MB photo on a classroom's wireless network. */
const UPLOAD_TIMEOUT_MS = 5 * 60_000;

function pinned(model: string, version: number): string {
  return `model=${encodeURIComponent(model)}&version=${encodeURIComponent(String(version))}`;
}

/**
 * `&fingerprint=` of the version's exported files: with it the gateway lets the browser keep a
 * bundle for ever (the same version exported again has another fingerprint, so other URLs).
 */
function fingerprinted(fingerprint: string | undefined, separator: "?" | "&"): string {
  return fingerprint ? `${separator}fingerprint=${encodeURIComponent(fingerprint)}` : "";
}

export function exampleBundleUrl(
  id: string,
  model: string,
  version: number,
  fingerprint?: string,
): string {
  return `/api/examples/${pathOf(id)}/activations?${pinned(model, version)}${fingerprinted(fingerprint, "&")}`;
}

export function digestBundleUrl(
  model: string,
  version: number,
  digest: string,
  fingerprint?: string,
): string {
  return `/api/models/${pathOf(model, "versions", version, "activations", digest)}${fingerprinted(fingerprint, "?")}`;
}

export function createExplorerApi(http: Http) {
  const bundle = async (url: string): Promise<Bundle> =>
    decodeBundle(new Uint8Array(await http.bytes(url)));
  return {
    models: () => http.json<ModelList>("/api/models"),
    /** The models the instructor published (the model studio's list), or null when it cannot be asked. */
    published: () => fetchPublished(http),
    /** The newest version's description (with its siblings), or a pinned version's. */
    describe: (name: string, version: number | null) =>
      http.json<ModelVersion>(
        version === null
          ? `/api/models/${pathOf(name)}`
          : `/api/models/${pathOf(name, "versions", version)}`,
      ),
    examples: (model: string) =>
      http.json<ExampleList>(`/api/examples?model=${encodeURIComponent(model)}`),
    async weights(model: ModelVersion): Promise<Map<string, Float32Array>> {
      return weightsByManifest(
        await http.bytes(model.weights_url),
        model.description.weights.tensors,
      );
    },
    /** `url`: the example list's `bundle_url` for this very version, when there is one. */
    exampleBundle: (
      id: string,
      model: string,
      version: number,
      fingerprint?: string,
      url?: string,
    ) => bundle(url ?? exampleBundleUrl(id, model, version, fingerprint)),
    bundleByDigest: (model: string, version: number, digest: string, fingerprint?: string) =>
      bundle(digestBundleUrl(model, version, digest, fingerprint)),
    /** Posts a picture (multipart `file`); the same picture is the same digest, so a retry is harmless. */
    async upload(
      file: Blob,
      model: string,
      version: number,
      filename = "upload.png",
    ): Promise<Bundle> {
      const form = new FormData();
      form.append("file", file, filename);
      const bytes = await http.bytes(`/api/activations?${pinned(model, version)}`, {
        method: "POST",
        form,
        timeoutMs: UPLOAD_TIMEOUT_MS,
      });
      return decodeBundle(new Uint8Array(bytes));
    },
  };
}

export type ExplorerApi = ReturnType<typeof createExplorerApi>;

/** `layer/name` → the tensor's float32 values, per the manifest's byte offsets. */
export function weightsByManifest(
  buffer: ArrayBuffer,
  tensors: readonly WeightTensorEntry[],
): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const entry of tensors) {
    if (entry.offset + entry.length > buffer.byteLength) {
      throw new ApiError(
        0,
        "bad_weights",
        `The weights file is shorter than the model says (${entry.layer} ${entry.name}).`,
      );
    }
    // Offsets are multiples of 4 in weights.bin, so a view needs no copy; check rather than trust.
    const values =
      entry.offset % 4 === 0
        ? new Float32Array(buffer, entry.offset, entry.length / 4)
        : new Float32Array(buffer.slice(entry.offset, entry.offset + entry.length));
    weights.set(`${entry.layer}/${entry.name}`, values);
  }
  return weights;
}

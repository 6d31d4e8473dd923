/**
 * The explorer's server state as queries: the model list, a model's description, its
 * examples, activation bundles and weights. Keys name what a request depends on, so the
 * cache serves a revisit, and requests under way are shared (a thumbnail's bundle prefetched
 * on hover is the one the click shows).
 */
import { noop, queryOptions, type QueryClient } from "@tanstack/react-query";
import type { ImageRef } from "../url/state";
import { checkGraph, type ModelVersion } from "../model/graph";
import type { Bundle } from "./bundle";
import type { ExampleList, ExplorerApi } from "./explorer";

/** The model list is asked for by the app and the model choice at once; one request serves both. */
export const MODEL_LIST_STALE_MS = 30_000;
/** A model's examples are asked for with its description; the list stays fresh until the views ask. */
export const EXAMPLES_STALE_MS = 5 * 60_000;
/** Bundles kept in memory (about 370 KB each for Tiny VGG): revisits cost no request. */
export const KEPT_BUNDLES = 40;

export const explorerKeys = {
  models: ["explorer", "models"] as const,
  published: ["studio", "published"] as const,
  model: (name: string, version: number | null) =>
    ["explorer", "model", name, version ?? "newest"] as const,
  examples: (model: string) => ["explorer", "examples", model] as const,
  bundles: ["explorer", "bundle"] as const,
  bundle: (model: string, version: number, image: ImageRef) =>
    [
      "explorer",
      "bundle",
      model,
      version,
      image.kind,
      image.kind === "example" ? image.id : image.digest,
    ] as const,
  weights: (model: string, version: number) => ["explorer", "weights", model, version] as const,
};

/**
 * Drops the oldest bundles no view shows beyond `limit`: bundles never go stale (they are
 * immutable per model, version and image), so without this the cache would only grow.
 */
export function trimBundles(queryClient: QueryClient, limit = KEPT_BUNDLES): void {
  const cache = queryClient.getQueryCache();
  const kept = cache
    .findAll({ queryKey: explorerKeys.bundles, type: "inactive" })
    .filter((query) => query.state.status === "success")
    .sort((a, b) => b.state.dataUpdatedAt - a.state.dataUpdatedAt);
  const shown = cache.findAll({ queryKey: explorerKeys.bundles, type: "active" }).length;
  for (const query of kept.slice(Math.max(0, limit - shown))) cache.remove(query);
}

/**
 * The example's rendered file (`/static/...`, which nginx or a CDN may serve) as the example
 * list gave it, when the list is of this very version and fingerprint; else undefined.
 */
function listedBundleUrl(
  queryClient: QueryClient,
  model: ModelVersion,
  id: string,
): string | undefined {
  const listed = queryClient.getQueryData<ExampleList>(explorerKeys.examples(model.name));
  if (!listed || listed.version !== model.version || listed.fingerprint !== model.fingerprint)
    return undefined;
  return listed.examples.find((example) => example.id === id)?.bundle_url;
}

export function explorerQueries(api: ExplorerApi, queryClient: QueryClient) {
  const examples = (model: string) =>
    queryOptions({
      queryKey: explorerKeys.examples(model),
      queryFn: () => api.examples(model),
      staleTime: EXAMPLES_STALE_MS,
    });

  return {
    models: () =>
      queryOptions({
        queryKey: explorerKeys.models,
        queryFn: api.models,
        staleTime: MODEL_LIST_STALE_MS,
      }),

    /** What students may choose; null (not an error) when the studio cannot be asked. */
    published: () =>
      queryOptions({
        queryKey: explorerKeys.published,
        queryFn: api.published,
        staleTime: MODEL_LIST_STALE_MS,
      }),

    /** The URL's version, or the newest (then also cached under its number, for the pinned URL). */
    model: (name: string, version: number | null) =>
      queryOptions({
        queryKey: explorerKeys.model(name, version),
        queryFn: async (): Promise<ModelVersion> => {
          // The examples are wanted right after the description: both requests start together.
          void queryClient.query(examples(name)).catch(noop);
          const described = await api.describe(name, version);
          checkGraph(described.description);
          if (version === null)
            queryClient.setQueryData(explorerKeys.model(name, described.version), described);
          return described;
        },
        // A version never changes; "the newest" may.
        staleTime: version === null ? 0 : Infinity,
      }),

    examples,

    bundle: (model: ModelVersion, image: ImageRef) =>
      queryOptions({
        queryKey: explorerKeys.bundle(model.name, model.version, image),
        // No abort signal: a bundle the student moved past is still worth finishing (and keeping).
        queryFn: async (): Promise<Bundle> => {
          const bundle =
            image.kind === "example"
              ? await api.exampleBundle(
                  image.id,
                  model.name,
                  model.version,
                  model.fingerprint,
                  listedBundleUrl(queryClient, model, image.id),
                )
              : await api.bundleByDigest(
                  model.name,
                  model.version,
                  image.digest,
                  model.fingerprint,
                );
          if (bundle.modelVersion !== model.version)
            throw new Error("The server answered for another model version.");
          trimBundles(queryClient);
          return bundle;
        },
        staleTime: Infinity,
        gcTime: Infinity,
      }),

    weights: (model: ModelVersion) =>
      queryOptions({
        queryKey: explorerKeys.weights(model.name, model.version),
        queryFn: () => api.weights(model),
        staleTime: Infinity,
      }),
  };
}

export type ExplorerQueries = ReturnType<typeof explorerQueries>;

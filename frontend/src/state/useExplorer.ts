/**
 * What the views show, loaded in order through the query cache (api/explorerQueries.ts): the
 * model version (pinned into the URL once known), its examples, the current image's bundle,
 * and the weights once a neuron's intermediate view needs them. Going back to an image
 * already seen redraws from the cache without a request.
 */
import {
  keepPreviousData,
  noop,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { explorerKeys, explorerQueries, trimBundles } from "../api/explorerQueries";
import { createExplorerApi, type Example } from "../api/explorer";
import { retryReason } from "../api/errors";
import { createHttp, type RetryNotice } from "../api/http";
import type { ModelVersion } from "../model/graph";
import type { ImageRef } from "../url/state";
import { useUrlState } from "../url/useUrlState";
import { activationsOf, type Activations } from "./activations";

export interface Notice {
  kind: "error" | "retrying" | "loading";
  message: string;
  /** For "retrying": when the next attempt starts (ms since the epoch), for the banner's countdown. */
  retryAt?: number;
}

/** Retries of a 503 or a network failure never give up while the page is open: the class waits for the server. */
const RETRY_FOREVER = Number.POSITIVE_INFINITY;
/** A picture on its way to the model; `shown` is the image on screen then (its error is said until another shows). */
interface Sending {
  file: Blob;
  filename: string;
  to: ModelVersion;
  shown: string;
}

/** A bundle that takes longer than this gets a "Computing the activations…" notice. */
const SLOW_LOAD_MS = 300;
const NO_EXAMPLES: Example[] = [];

function describe(error: unknown): string {
  return error instanceof Error ? error.message : "Something went wrong.";
}

function imageKey(model: ModelVersion | undefined, image: ImageRef | null): string {
  if (!model || image === null) return "";
  return explorerKeys.bundle(model.name, model.version, image).join("/");
}

/** True once `flag` has stayed true for `ms` (a notice for a 50 ms load would just make the page jump). */
function useAfter(flag: boolean, ms: number): boolean {
  const [late, setLate] = useState(false);
  useEffect(() => {
    if (!flag) return;
    const timer = window.setTimeout(() => setLate(true), ms);
    return () => {
      window.clearTimeout(timer);
      setLate(false);
    };
  }, [flag, ms]);
  return flag && late;
}

export function useExplorer() {
  const [url, setUrl] = useUrlState();
  const queryClient = useQueryClient();
  const [retrying, setRetrying] = useState<{ error: RetryNotice["error"]; retryAt: number } | null>(
    null,
  );

  // While the server is away the last view stays on screen under a message with a countdown;
  // the message goes once every retried request has an answer.
  const { api, queries } = useMemo(() => {
    const http = createHttp({
      maxAttempts: RETRY_FOREVER,
      onRetry: ({ error, waitSeconds }) =>
        setRetrying({ error, retryAt: Date.now() + waitSeconds * 1000 }),
      onSettled: () => setRetrying(null),
    });
    const api = createExplorerApi(http);
    return { api, queries: explorerQueries(api, queryClient) };
  }, [queryClient]);

  // 1. The model version: the URL's, or the newest of the default model, then pinned. While
  // another model loads, the one on screen stays.
  const modelList = useQuery({ ...queries.models(), enabled: url.model === null });
  const name = url.model ?? modelList.data?.default ?? null;
  const described = useQuery({
    ...queries.model(name ?? "", url.version),
    enabled: name !== null,
    placeholderData: keepPreviousData,
  });
  const model = described.data;
  const pinned = described.isPlaceholderData ? undefined : model;
  useEffect(() => {
    if (pinned && (url.model !== pinned.name || url.version !== pinned.version)) {
      setUrl({ model: pinned.name, version: pinned.version }, true);
    }
  }, [pinned, url.model, url.version, setUrl]);

  // 2. The examples of that model (usually asked for together with its description).
  const exampleList = useQuery({
    ...queries.examples(model?.name ?? ""),
    enabled: model !== undefined,
    placeholderData: keepPreviousData,
  });
  const examples = exampleList.data?.examples ?? NO_EXAMPLES;

  // 3. The image's bundle; with no image yet, the featured example (the one the model is
  // surest of and right about, chosen by the worker), else the first.
  const image = url.image;
  const featured = exampleList.data?.featured;
  const first = examples.find((example) => example.id === featured) ?? examples[0];
  useEffect(() => {
    if (model && image === null && first)
      setUrl({ image: { kind: "example", id: first.id } }, true);
  }, [model, image, first, setUrl]);
  const bundle = useQuery({
    ...queries.bundle(model ?? placeholderModel, image ?? placeholderImage),
    enabled: model !== undefined && image !== null,
  });
  const current = bundle.data && model ? activationsOf(model.description, bundle.data) : null;
  // The last picture that loaded stays while the next one loads (or waits for the server).
  const [lastShown, setLastShown] = useState<Activations | null>(null);
  if (current !== null && current !== lastShown) setLastShown(current);
  const activations = current ?? lastShown;
  const slow = useAfter(bundle.isFetching && bundle.data === undefined, SLOW_LOAD_MS);

  // 4. The weights, only once a neuron's intermediate view needs them.
  const weights = useQuery({
    ...queries.weights(model ?? placeholderModel),
    enabled: model !== undefined && url.neuron !== null,
  });

  /** Every input (file, drop, paste, camera, drawing, channel edit) ends here; resolves to the new digest, or null. */
  const sent = useMutation({
    mutationFn: async ({ file, filename, to }: Sending) => {
      const uploaded = await api.upload(file, to.name, to.version, filename);
      const ref: ImageRef = { kind: "digest", digest: uploaded.imageDigest };
      queryClient.setQueryData(explorerKeys.bundle(to.name, to.version, ref), uploaded);
      trimBundles(queryClient);
      return ref;
    },
  });
  const shownKey = imageKey(model, image);
  const send = sent.mutateAsync;
  const upload = useCallback(
    async (file: Blob, filename: string): Promise<string | null> => {
      if (!model) return null;
      try {
        const ref = await send({ file, filename, to: model, shown: shownKey });
        setUrl({ image: ref });
        return ref.digest;
      } catch {
        return null; // said by the notice below
      }
    },
    [model, send, shownKey, setUrl],
  );

  // Starts loading an example's bundle the student is likely to open next (hover, focus).
  const prefetchExample = useCallback(
    (id: string) => {
      if (model) void queryClient.query(queries.bundle(model, { kind: "example", id })).catch(noop);
    },
    [model, queryClient, queries],
  );

  /** The weights of the shown model into the cache (useIdlePrefetch), without opening a view. */
  const prefetchWeights = useCallback(() => {
    if (model) void queryClient.query(queries.weights(model)).catch(noop);
  }, [model, queryClient, queries]);

  // One notice: that the server is away matters most, then what failed, then what is loading.
  const uploadFailed = sent.isError && sent.variables.shown === shownKey ? sent.error : null;
  // The model list's own failures only when this page needs it (the header's choice asks too, and stays quiet).
  const listFailure = url.model === null ? modelList.error : null;
  const failure =
    described.error ??
    listFailure ??
    exampleList.error ??
    bundle.error ??
    weights.error ??
    uploadFailed;
  let notice: Notice | null = null;
  if (retrying !== null) {
    notice = {
      kind: "retrying",
      message: `${retryReason(retrying.error)}${activations ? " You still see the last picture that loaded." : ""}`,
      retryAt: retrying.retryAt,
    };
  } else if (failure) {
    notice = { kind: "error", message: describe(failure) };
  } else if (sent.isPending) {
    notice = { kind: "loading", message: `Sending ${sent.variables.filename} to the model…` };
  } else if (!model) {
    notice = { kind: "loading", message: "Loading the model…" };
  } else if (slow) {
    notice = { kind: "loading", message: "Computing the activations…" };
  }

  const modelWeights = weights.data ?? null;
  return {
    url,
    setUrl,
    queries,
    model: model ?? null,
    examples,
    activations,
    notice,
    upload,
    prefetchExample,
    prefetchWeights,
    weights: modelWeights,
  };
}

/** Stand-ins for the keys of disabled queries (never fetched). */
const placeholderImage: ImageRef = { kind: "digest", digest: "" };
const placeholderModel: ModelVersion = {
  name: "",
  version: 0,
  weights_url: "",
  activations_url: "",
  description: { input: { shape: [] }, classes: [], layers: [], weights: { tensors: [] } },
};

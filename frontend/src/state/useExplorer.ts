/**
 * Loads what the views show, in order: the model version (pinned into the URL once
 * known), its examples, then the current image's bundle. Each result is kept per address,
 * so going back to an image already seen redraws without a request.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { createClient, type Example, type RetryNotice } from "../api/client";
import type { Bundle } from "../api/bundle";
import { ApiError, retryReason } from "../api/errors";
import { checkGraph, type ModelVersion } from "../model/graph";
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

/** A loading notice never hides a retry notice: that the server is away matters more. */
function unlessRetrying(next: Notice) {
  return (now: Notice | null) => (now?.kind === "retrying" ? now : next);
}

function imageKey(model: string, version: number, image: ImageRef): string {
  return `${model}/${version}/${image.kind === "example" ? `example:${image.id}` : image.digest}`;
}

/** Bundles kept in memory (about 370 KB each for Tiny VGG): revisits cost no request. */
const KEPT_BUNDLES = 40;
/** A bundle that takes longer than this gets a "Computing the activations…" notice. */
const SLOW_LOAD_MS = 300;

function remember(memory: Map<string, Bundle>, key: string, bundle: Bundle): void {
  memory.delete(key);
  memory.set(key, bundle);
  const oldest = memory.keys().next();
  if (memory.size > KEPT_BUNDLES && !oldest.done) memory.delete(oldest.value);
}

function describe(error: unknown): string {
  return error instanceof ApiError || error instanceof Error ? error.message : "Something went wrong.";
}

export function useExplorer() {
  const [url, setUrl] = useUrlState();
  const [model, setModel] = useState<ModelVersion | null>(null);
  const [examples, setExamples] = useState<Example[]>([]);
  const [activations, setActivations] = useState<Activations | null>(null);
  const [notice, setNotice] = useState<Notice | null>({ kind: "loading", message: "Loading the model…" });
  const bundles = useRef(new Map<string, Bundle>());
  const loaded = useRef<ModelVersion | null>(null);
  const showing = useRef(false);
  useEffect(() => { showing.current = activations !== null; }, [activations]);

  // While the server is away the last view stays on screen under a message with a countdown;
  // the message goes once every retried request has an answer.
  const client = useMemo(() => createClient({
    maxAttempts: RETRY_FOREVER,
    onRetry: ({ error, waitSeconds }: RetryNotice) => setNotice({
      kind: "retrying",
      message: `${retryReason(error)}${showing.current ? " You still see the last picture that loaded." : ""}`,
      retryAt: Date.now() + waitSeconds * 1000,
    }),
    onSettled: () => setNotice((now) => (now?.kind === "retrying" ? null : now)),
  }), []);

  // 1. The model version: the URL's, or the newest of the default model, then pinned.
  useEffect(() => {
    const current = loaded.current;
    if (current && current.name === url.model && current.version === url.version) return;
    const run = { live: true };
    (async () => {
      const name = url.model ?? (await client.models()).default;
      const described = url.version === null ? await client.newestModel(name) : await client.modelVersion(name, url.version);
      checkGraph(described.description);
      if (!run.live) return;
      loaded.current = described;
      setModel(described);
      setUrl({ model: name, version: described.version }, true);
    })().catch((error: unknown) => run.live && setNotice({ kind: "error", message: describe(error) }));
    return () => { run.live = false; };
  }, [client, url.model, url.version, setUrl]);

  // 2. The examples of that model.
  const modelName = model?.name ?? null;
  useEffect(() => {
    if (modelName === null) return;
    const run = { live: true };
    client.examples(modelName)
      .then((list) => run.live && setExamples(list.examples))
      .catch((error: unknown) => run.live && setNotice({ kind: "error", message: describe(error) }));
    return () => { run.live = false; };
  }, [client, modelName]);

  // 3. The image's bundle; with no image yet, the first example.
  const image = url.image;
  useEffect(() => {
    if (model === null) return;
    if (image === null) {
      const first = examples[0];
      if (first) setUrl({ image: { kind: "example", id: first.id } }, true);
      return;
    }
    const run = { live: true };
    const key = imageKey(model.name, model.version, image);
    const cached = bundles.current.get(key);
    const request = cached ? Promise.resolve(cached)
      : image.kind === "example" ? client.exampleBundle(image.id, model.name, model.version)
        : client.bundleByDigest(model.name, model.version, image.digest);
    // Said only when it takes a while: a banner shown for a 50 ms load just makes the page
    // jump twice (and lays it out twice) on every switch.
    const announce = cached ? undefined : window.setTimeout(() => {
      if (run.live) setNotice(unlessRetrying({ kind: "loading", message: "Computing the activations…" }));
    }, SLOW_LOAD_MS);
    request.then((bundle) => {
      if (bundle.modelVersion !== model.version) throw new Error("The server answered for another model version.");
      remember(bundles.current, key, bundle);
      if (!run.live) return;
      setActivations(activationsOf(model.description, bundle));
      setNotice(null);
    }).catch((error: unknown) => run.live && setNotice({ kind: "error", message: describe(error) }))
      .finally(() => window.clearTimeout(announce));
    return () => { run.live = false; window.clearTimeout(announce); };
  }, [client, model, examples, image, setUrl]);

  // 4. The weights, only once a neuron's intermediate view needs them.
  const [weights, setWeights] = useState<{ model: ModelVersion; values: Map<string, Float32Array> } | null>(null);
  const wantsWeights = url.neuron !== null;
  useEffect(() => {
    if (model === null || !wantsWeights || weights?.model === model) return;
    const run = { live: true };
    client.weights(model)
      .then((values) => run.live && setWeights({ model, values }))
      .catch((error: unknown) => run.live && setNotice({ kind: "error", message: describe(error) }));
    return () => { run.live = false; };
  }, [client, model, wantsWeights, weights]);

  /** Every input (file, drop, paste, camera, drawing, channel edit) ends here; resolves to the new digest, or null. */
  const upload = useCallback(async (file: Blob, filename: string): Promise<string | null> => {
    if (model === null) return null;
    setNotice(unlessRetrying({ kind: "loading", message: `Sending ${filename} to the model…` }));
    try {
      const bundle = await client.upload(file, model.name, model.version, filename);
      const ref: ImageRef = { kind: "digest", digest: bundle.imageDigest };
      remember(bundles.current, imageKey(model.name, model.version, ref), bundle);
      setUrl({ image: ref });
      return bundle.imageDigest;
    } catch (error) {
      setNotice({ kind: "error", message: describe(error) });
      return null;
    }
  }, [client, model, setUrl]);

  const modelWeights = weights !== null && weights.model === model ? weights.values : null;
  return { url, setUrl, client, model, examples, activations, notice, upload, weights: modelWeights };
}

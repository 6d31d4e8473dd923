/** The explorer's server state in the query cache: shared requests, kept bundles, pinned versions. */
import { noop, QueryClient } from "@tanstack/react-query";
import { describe, expect, it, vi } from "vitest";
import { fixtureBytes, fixtureGraph } from "../test/fixtures";
import type { ModelVersion } from "../model/graph";
import { createExplorerApi } from "./explorer";
import { explorerKeys, explorerQueries, trimBundles } from "./explorerQueries";
import { createHttp } from "./http";
import { createQueryClient } from "./queryClient";

/** Answers by URL (the same answer every time); records every URL asked for. */
function server(answers: Record<string, () => Response>) {
  const calls: string[] = [];
  const fetch = vi.fn((url: string | URL) => {
    calls.push(String(url));
    const answer = answers[String(url)];
    return answer
      ? Promise.resolve(answer())
      : Promise.reject(new Error(`unexpected ${String(url)}`));
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

const json = (body: unknown) => () => new Response(JSON.stringify(body));
const small3: ModelVersion = {
  name: "small3",
  version: 1,
  weights_url: "/w",
  activations_url: "",
  description: fixtureGraph("small3"),
};
const bundle = () => new Response(fixtureBytes("small3.bundle.pb"));

function setup(answers: Record<string, () => Response>) {
  const { fetch, calls } = server(answers);
  const queryClient = createQueryClient();
  const queries = explorerQueries(createExplorerApi(createHttp({ fetch })), queryClient);
  return { queryClient, queries, calls };
}

describe("explorer queries", () => {
  it("asks for the model list once for the app and the model choice together", async () => {
    const { queryClient, queries, calls } = setup({
      "/api/models": json({ default: "small3", models: [] }),
    });
    await Promise.all([queryClient.query(queries.models()), queryClient.query(queries.models())]);
    await queryClient.query(queries.models());
    expect(calls).toEqual(["/api/models"]);
  });

  it("asks for a model's examples together with its description, and keeps the newest under its version", async () => {
    const { queryClient, queries, calls } = setup({
      "/api/models/small3": json(small3),
      "/api/examples?model=small3": json({ model: "small3", version: 1, examples: [] }),
    });
    const described = await queryClient.query(queries.model("small3", null));
    expect(calls).toEqual(["/api/examples?model=small3", "/api/models/small3"]);
    // The URL is then pinned to version 1: that answer is already known, and so are the examples.
    expect(await queryClient.query(queries.model("small3", 1))).toBe(described);
    await queryClient.query(queries.examples("small3"));
    expect(calls).toHaveLength(2);
  });

  it("refuses a graph the views cannot draw", async () => {
    const broken = {
      ...small3,
      description: {
        ...small3.description,
        layers: [
          { name: "x", type: "lstm", output_shape: [1], input: null, unit: "x", module: "x" },
        ],
      },
    };
    const { queryClient, queries } = setup({
      "/api/models/small3/versions/1": json(broken),
      "/api/examples?model=small3": json({ examples: [] }),
    });
    await expect(queryClient.query(queries.model("small3", 1))).rejects.toThrow(/cannot show/);
  });

  it("shares a bundle request: a prefetch, then the click, cost one fetch; a failure is not kept", async () => {
    let failNext = true;
    const { queryClient, queries, calls } = setup({
      "/api/examples/val_1/activations?model=small3&version=1": bundle,
      "/api/examples/val_2/activations?model=small3&version=1": () => {
        if (!failNext) return bundle();
        failNext = false;
        return new Response(
          JSON.stringify({ error: { code: "unknown_example", message: "No such example." } }),
          { status: 404 },
        );
      },
    });
    const first = { kind: "example", id: "val_1" } as const;
    void queryClient.query(queries.bundle(small3, first)).catch(noop);
    const [a, b] = await Promise.all([
      queryClient.query(queries.bundle(small3, first)),
      queryClient.query(queries.bundle(small3, first)),
    ]);
    expect(b).toBe(a);
    const second = { kind: "example", id: "val_2" } as const;
    await expect(queryClient.query(queries.bundle(small3, second))).rejects.toMatchObject({
      status: 404,
    });
    await queryClient.query(queries.bundle(small3, second));
    await queryClient.query(queries.bundle(small3, first)); // immutable: never asked again
    expect(calls).toEqual([
      "/api/examples/val_1/activations?model=small3&version=1",
      "/api/examples/val_2/activations?model=small3&version=1",
      "/api/examples/val_2/activations?model=small3&version=1",
    ]);
  });

  it("fetches an example's rendered file when the list of this very version gives one", async () => {
    const pinned = { ...small3, fingerprint: "00112233aabbccdd" };
    const file = "/static/small3/1/00112233aabbccdd/bundles/ab.bin";
    const { queryClient, queries, calls } = setup({
      "/api/examples?model=small3": json({
        model: "small3",
        version: 1,
        fingerprint: "00112233aabbccdd",
        examples: [{ id: "val_1", bundle_url: file }],
      }),
      [file]: bundle,
      "/api/examples/val_2/activations?model=small3&version=1&fingerprint=00112233aabbccdd": bundle,
      "/api/examples/val_1/activations?model=small3&version=1": bundle,
    });
    await queryClient.query(queries.examples("small3"));
    await queryClient.query(queries.bundle(pinned, { kind: "example", id: "val_1" }));
    // Not in the list: the activations route, as before.
    await queryClient.query(queries.bundle(pinned, { kind: "example", id: "val_2" }));
    // Another fingerprint than the list's: the list's file is not this version's.
    queryClient.clear();
    await queryClient.query(queries.examples("small3"));
    await queryClient.query(queries.bundle(small3, { kind: "example", id: "val_1" }));
    expect(calls).toEqual([
      "/api/examples?model=small3",
      file,
      "/api/examples/val_2/activations?model=small3&version=1&fingerprint=00112233aabbccdd",
      "/api/examples?model=small3",
      "/api/examples/val_1/activations?model=small3&version=1",
    ]);
  });

  it("refuses a bundle of another model version", async () => {
    const { queryClient, queries } = setup({
      "/api/models/small3/versions/2/activations/d": bundle,
    });
    await expect(
      queryClient.query(queries.bundle({ ...small3, version: 2 }, { kind: "digest", digest: "d" })),
    ).rejects.toThrow(/another model version/);
  });

  it("keeps the newest bundles only", () => {
    const queryClient = new QueryClient();
    for (let i = 0; i < 5; i += 1) {
      vi.setSystemTime(1_000 + i);
      queryClient.setQueryData(explorerKeys.bundle("m", 1, { kind: "digest", digest: `d${i}` }), i);
    }
    vi.useRealTimers();
    queryClient.setQueryData(explorerKeys.models, { default: "m", models: [] });
    trimBundles(queryClient, 3);
    const kept = queryClient
      .getQueryCache()
      .findAll({ queryKey: explorerKeys.bundles })
      .map((query) => query.queryKey.at(-1));
    expect(kept.sort()).toEqual(["d2", "d3", "d4"]);
    expect(queryClient.getQueryData(explorerKeys.models)).toBeDefined();
  });
});

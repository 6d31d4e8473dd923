import { describe, expect, it, vi } from "vitest";
import { cnn101 } from "../generated/activations.js";
import { fixtureBytes } from "../test/fixtures";
import { createExplorerApi } from "./explorer";
import { createHttp } from "./http";

function fakeFetch(...responses: (Response | Error)[]) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetch = vi.fn((url: string | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init });
    const next = responses.shift();
    if (!next) throw new Error("no more fake responses");
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

const explorer = (fetch: typeof globalThis.fetch) =>
  createExplorerApi(createHttp({ fetch, sleep: () => Promise.resolve() }));

describe("the explorer's endpoints", () => {
  it("surfaces the gateway's student-readable message and code", async () => {
    const refused = new Response(
      JSON.stringify({
        error: { code: "unsupported_type", message: "This file is not a picture we can read." },
      }),
      { status: 415 },
    );
    const { fetch } = fakeFetch(refused);
    await expect(explorer(fetch).upload(new Blob(["x"]), "tiny_vgg", 1)).rejects.toMatchObject({
      status: 415,
      code: "unsupported_type",
      message: "This file is not a picture we can read.",
    });
  });

  it("posts an upload as multipart `file` with the pinned version and decodes the bundle", async () => {
    const { fetch, calls } = fakeFetch(new Response(fixtureBytes("small3.bundle.pb")));
    const bundle = await explorer(fetch).upload(new Blob(["png"]), "small3", 1);
    expect(calls[0]?.url).toBe("/api/activations?model=small3&version=1");
    expect(calls[0]?.init?.method).toBe("POST");
    expect((calls[0]?.init?.body as FormData).get("file")).toBeInstanceOf(Blob);
    expect(bundle.modelVersion).toBe(1);
    expect(bundle.probabilities).toHaveLength(10);
  });

  it("builds the model, example and digest URLs", async () => {
    const bytes = cnn101.v1.ActivationBundle.encode({
      modelName: "m",
      modelVersion: 2,
      imageDigest: "d",
    }).finish();
    const json = (body: unknown) => new Response(JSON.stringify(body));
    const { fetch, calls } = fakeFetch(
      json({}),
      json({}),
      json({}),
      new Response(bytes),
      new Response(bytes),
      new Response(bytes),
    );
    const api = explorer(fetch);
    await api.describe("my model", null);
    await api.describe("m", 3);
    await api.examples("m");
    await api.exampleBundle("val_7", "m", 2);
    await api.bundleByDigest("m", 2, "d");
    await api.bundleByDigest("m", 2, "d", "0123abcd");
    expect(calls.map((call) => call.url)).toEqual([
      "/api/models/my%20model",
      "/api/models/m/versions/3",
      "/api/examples?model=m",
      "/api/examples/val_7/activations?model=m&version=2",
      "/api/models/m/versions/2/activations/d",
      "/api/models/m/versions/2/activations/d?fingerprint=0123abcd",
    ]);
  });

  it("splits weights.bin per the manifest", async () => {
    const { fetch } = fakeFetch(new Response(new Float32Array([1, 2, 3, 4, 5]).buffer));
    const weights = await explorer(fetch).weights({
      name: "m",
      version: 1,
      weights_url: "/w",
      activations_url: "",
      description: {
        input: { shape: [] },
        classes: [],
        layers: [],
        weights: {
          tensors: [
            { layer: "c", name: "kernel", shape: [2, 2], offset: 0, length: 16 },
            { layer: "c", name: "bias", shape: [1], offset: 16, length: 4 },
          ],
        },
      },
    });
    expect([...(weights.get("c/kernel") ?? [])]).toEqual([1, 2, 3, 4]);
    expect([...(weights.get("c/bias") ?? [])]).toEqual([5]);
  });

  it("asks for the published models once, and answers null when the studio cannot be asked", async () => {
    const list = { default: "tiny_vgg", models: [] };
    const { fetch, calls } = fakeFetch(
      new Response("{}", { status: 503, headers: { "Retry-After": "1" } }),
      new TypeError("offline"),
      new Response(JSON.stringify(list)),
    );
    const api = explorer(fetch);
    expect(await api.published()).toBeNull();
    expect(await api.published()).toBeNull();
    expect(await api.published()).toEqual(list);
    expect(calls.map((call) => call.url)).toEqual(Array(3).fill("/api/studio/published"));
  });
});

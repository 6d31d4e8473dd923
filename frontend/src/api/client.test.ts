import { describe, expect, it, vi } from "vitest";
import { cnn101 } from "../generated/activations.js";
import { fixtureBytes } from "../test/fixtures";
import { createClient, type RetryNotice } from "./client";
import { ApiError, retryAfterSeconds } from "./errors";

function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify({ error: { code, message } }), { status, headers: { "Content-Type": "application/json", ...headers } });
}

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

const noWait = () => Promise.resolve();

describe("API client", () => {
  it("surfaces the gateway's student-readable message and code", async () => {
    const { fetch } = fakeFetch(errorResponse(415, "unsupported_type", "This file is not a picture we can read."));
    const client = createClient({ fetch, sleep: noWait });
    await expect(client.upload(new Blob(["x"]), "tiny_vgg", 1)).rejects.toMatchObject({
      status: 415, code: "unsupported_type", message: "This file is not a picture we can read.",
    });
  });

  it("gives a plain message when the body is not the error shape", async () => {
    const { fetch } = fakeFetch(new Response("<html>Bad gateway</html>", { status: 404 }));
    const error = await createClient({ fetch }).models().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe("That was not found on the server.");
  });

  it("retries a 503 after Retry-After, telling the page, then succeeds", async () => {
    const notices: RetryNotice[] = [];
    const sleep = vi.fn((_seconds: number) => noWait());
    const { fetch, calls } = fakeFetch(
      errorResponse(503, "unavailable", "The model is not reachable right now.", { "Retry-After": "3" }),
      new TypeError("Failed to fetch"),
      new Response(JSON.stringify({ default: "tiny_vgg", models: [] })),
    );
    const list = await createClient({ fetch, sleep, onRetry: (notice) => notices.push(notice) }).models();
    expect(list.default).toBe("tiny_vgg");
    expect(calls).toHaveLength(3);
    // Retry-After for the 503; the backoff's 2 s for the second failure, which has none.
    expect(sleep.mock.calls.map(([seconds]) => seconds)).toEqual([3, 2]);
    expect(notices.map((notice) => notice.error.message)).toEqual([
      "The model is not reachable right now.",
      "The CNN 101 server cannot be reached. Check the network; the page will try again.",
    ]);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const { fetch } = fakeFetch(errorResponse(503, "unavailable", "down", { "Retry-After": "1" }), errorResponse(503, "unavailable", "still down"));
    await expect(createClient({ fetch, sleep: noWait, maxAttempts: 2 }).models()).rejects.toMatchObject({ message: "still down" });
  });

  it("posts an upload as multipart `file` with the pinned version and decodes the bundle", async () => {
    const { fetch, calls } = fakeFetch(new Response(fixtureBytes("small3.bundle.pb")));
    const bundle = await createClient({ fetch }).upload(new Blob(["png"]), "small3", 1);
    expect(calls[0]?.url).toBe("/api/activations?model=small3&version=1");
    expect(calls[0]?.init?.method).toBe("POST");
    expect((calls[0]?.init?.body as FormData).get("file")).toBeInstanceOf(Blob);
    expect(bundle.modelVersion).toBe(1);
    expect(bundle.probabilities).toHaveLength(10);
  });

  it("builds the example and digest URLs", async () => {
    const bytes = cnn101.v1.ActivationBundle.encode({ modelName: "m", modelVersion: 2, imageDigest: "d" }).finish();
    const { fetch, calls } = fakeFetch(new Response(bytes), new Response(bytes));
    const client = createClient({ fetch });
    await client.exampleBundle("val_7", "m", 2);
    await client.bundleByDigest("m", 2, "d");
    expect(calls.map((call) => call.url)).toEqual([
      "/api/examples/val_7/activations?model=m&version=2",
      "/api/models/m/versions/2/activations/d",
    ]);
  });

  it("splits weights.bin per the manifest", async () => {
    const buffer = new Float32Array([1, 2, 3, 4, 5]).buffer;
    const { fetch } = fakeFetch(new Response(buffer));
    const weights = await createClient({ fetch }).weights({
      name: "m", version: 1, weights_url: "/w", activations_url: "",
      description: { input: { shape: [] }, classes: [], layers: [], weights: { tensors: [
        { layer: "c", name: "kernel", shape: [2, 2], offset: 0, length: 16 },
        { layer: "c", name: "bias", shape: [1], offset: 16, length: 4 },
      ] } },
    });
    expect([...(weights.get("c/kernel") ?? [])]).toEqual([1, 2, 3, 4]);
    expect([...(weights.get("c/bias") ?? [])]).toEqual([5]);
  });

  it("reads Retry-After in seconds or as a date", () => {
    expect(retryAfterSeconds("7")).toBe(7);
    expect(retryAfterSeconds(null)).toBeNull();
    expect(retryAfterSeconds("soon")).toBeNull();
  });
  it("shares a bundle request: a prefetch, then the click, cost one fetch; a failure is not kept", async () => {
    const bytes = () => new Response(fixtureBytes("small3.bundle.pb"));
    const { fetch, calls } = fakeFetch(bytes(), errorResponse(404, "unknown_example", "No such example."), bytes());
    const client = createClient({ fetch });
    client.prefetchExample("val_1", "small3", 1);
    const [first, second] = await Promise.all([client.exampleBundle("val_1", "small3", 1), client.exampleBundle("val_1", "small3", 1)]);
    expect(second).toBe(first);
    expect(calls).toHaveLength(1);
    await expect(client.exampleBundle("val_2", "small3", 1)).rejects.toMatchObject({ status: 404 });
    await client.exampleBundle("val_2", "small3", 1);
    expect(calls.map((call) => call.url)).toEqual([
      "/api/examples/val_1/activations?model=small3&version=1",
      "/api/examples/val_2/activations?model=small3&version=1",
      "/api/examples/val_2/activations?model=small3&version=1",
    ]);
  });

  it("asks for the model list once and for the examples together with the model", async () => {
    const json = (body: unknown) => new Response(JSON.stringify(body));
    const { fetch, calls } = fakeFetch(
      json({ default: "m", models: [] }),
      json({ model: "m", version: 1, examples: [] }),
      json({ name: "m", version: 1 }),
      json({ model: "m", version: 1, examples: [] }),
    );
    const client = createClient({ fetch });
    await Promise.all([client.models(), client.models()]);
    const described = client.newestModel("m");
    expect(calls.map((call) => call.url)).toEqual(["/api/models", "/api/examples?model=m", "/api/models/m"]);
    await described;
    await client.examples("m"); // the list already under way
    expect(calls).toHaveLength(3);
    await client.examples("m"); // a later visit asks afresh
    expect(calls).toHaveLength(4);
  });
});

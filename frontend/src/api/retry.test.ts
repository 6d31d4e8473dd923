/** The client's automatic retries while a service restarts: backoff, Retry-After, and when the page is told. */
import { describe, expect, it, vi } from "vitest";
import { createClient, type RetryNotice } from "./client";

function unavailable(retryAfter?: string) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (retryAfter !== undefined) headers["Retry-After"] = retryAfter;
  return new Response(JSON.stringify({ error: { code: "unavailable", message: "The model is not reachable right now." } }), { status: 503, headers });
}

const modelList = () => new Response(JSON.stringify({ default: "tiny_vgg", models: [] }));

/** Answers per URL, in order; an Error stands for a failed connection. */
function fakeFetch(answers: Record<string, (Response | Error)[]>) {
  const calls: string[] = [];
  const fetch = vi.fn((url: string | URL) => {
    calls.push(String(url));
    const next = answers[String(url)]?.shift();
    if (!next) throw new Error(`no more fake answers for ${String(url)}`);
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

/** A sleep the test ends by hand, to hold a request between its failure and its retry. */
function heldSleep() {
  const pending: { seconds: number; wake: () => void }[] = [];
  const sleep = (seconds: number) => new Promise<void>((wake) => pending.push({ seconds, wake }));
  return { sleep, pending };
}

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("retries while a service restarts", () => {
  it("backs off 1, 2, 4 s without Retry-After and tells the page each time, then that it is over", async () => {
    const events: string[] = [];
    const { fetch, calls } = fakeFetch({ "/api/models": [unavailable(), new TypeError("Failed to fetch"), unavailable(), modelList()] });
    const client = createClient({
      fetch,
      sleep: (seconds) => { events.push(`sleep ${seconds}`); return Promise.resolve(); },
      onRetry: ({ attempt, waitSeconds, error }: RetryNotice) => events.push(`retry ${attempt} in ${waitSeconds} (${error.status})`),
      onSettled: () => events.push("settled"),
    });
    expect((await client.models()).default).toBe("tiny_vgg");
    expect(calls).toHaveLength(4);
    expect(events).toEqual([
      "retry 1 in 1 (503)", "sleep 1",
      "retry 2 in 2 (0)", "sleep 2",
      "retry 3 in 4 (503)", "sleep 4",
      "settled",
    ]);
  });

  it("honours Retry-After and keeps retrying past 30 attempts when asked to, never waiting over 10 s", async () => {
    const failures = Array.from({ length: 50 }, () => unavailable("1"));
    const { fetch, calls } = fakeFetch({ "/api/models": [...failures, modelList()] });
    const waits: number[] = [];
    const client = createClient({ fetch, maxAttempts: Number.POSITIVE_INFINITY, sleep: (seconds) => { waits.push(seconds); return Promise.resolve(); } });
    expect((await client.models()).default).toBe("tiny_vgg");
    expect(calls).toHaveLength(51);
    expect(waits.slice(0, 6)).toEqual([1, 2, 4, 8, 10, 10]);
    expect(Math.max(...waits)).toBe(10);
  });

  it("says it is over only when every waiting request has its answer", async () => {
    const { sleep, pending } = heldSleep();
    const settled = vi.fn();
    const { fetch } = fakeFetch({
      "/api/models": [unavailable("3"), modelList()],
      "/api/examples?model=tiny_vgg": [unavailable("3"), new Response(JSON.stringify({ model: "tiny_vgg", version: 1, examples: [] }))],
    });
    const client = createClient({ fetch, sleep, onSettled: settled });
    const models = client.models();
    const examples = client.examples("tiny_vgg");
    await vi.waitFor(() => expect(pending).toHaveLength(2));
    expect(pending.map((wait) => wait.seconds)).toEqual([3, 3]);
    pending[0]?.wake();
    await models;
    await flush();
    expect(settled).not.toHaveBeenCalled(); // the examples still wait for their retry
    pending[1]?.wake();
    await examples;
    expect(settled).toHaveBeenCalledTimes(1);
  });

  it("does not retry an error that another try cannot fix, nor announce anything", async () => {
    const onRetry = vi.fn();
    const onSettled = vi.fn();
    const { fetch, calls } = fakeFetch({
      "/api/models": [new Response(JSON.stringify({ error: { code: "not_found", message: "No such model." } }), { status: 404 })],
    });
    await expect(createClient({ fetch, onRetry, onSettled }).models()).rejects.toMatchObject({ status: 404, message: "No such model." });
    expect(calls).toHaveLength(1);
    expect(onRetry).not.toHaveBeenCalled();
    expect(onSettled).not.toHaveBeenCalled();
  });

  it("on giving up, clears the waiting state before the caller sees the error", async () => {
    const events: string[] = [];
    const { fetch } = fakeFetch({ "/api/models": [unavailable("1"), unavailable("1")] });
    const client = createClient({ fetch, maxAttempts: 2, sleep: () => Promise.resolve(), onSettled: () => events.push("settled") });
    await client.models().catch((error: unknown) => events.push(`error ${(error as Error).message}`));
    expect(events).toEqual(["settled", "error The model is not reachable right now."]);
  });
});

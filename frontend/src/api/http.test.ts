/** The one HTTP client: retries while a service restarts, timeouts, and the services' error shape. */
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "./errors";
import { createHttp, type RetryNotice } from "./http";

function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}
const unavailable = (retryAfter?: string) =>
  errorResponse(
    503,
    "unavailable",
    "The model is not reachable right now.",
    retryAfter === undefined ? {} : { "Retry-After": retryAfter },
  );
const ok = (body: unknown = { ok: true }) => new Response(JSON.stringify(body));

/** Answers per URL, in order; an Error stands for a failed connection, "hang" for no answer. */
function fakeFetch(answers: Record<string, (Response | Error | "hang")[]>) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn((url: string, init?: RequestInit) => {
    calls.push({ url, init: init ?? {} });
    const next = answers[url]?.shift();
    if (!next) throw new Error(`no more fake answers for ${url}`);
    if (next === "hang") {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener("abort", () =>
          reject(new DOMException("aborted", "AbortError")),
        );
      });
    }
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

const noWait = () => Promise.resolve();
const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("retries while a service restarts", () => {
  it("backs off 1, 2, 4 s without Retry-After and tells the page each time, then that it is over", async () => {
    const events: string[] = [];
    const { fetch, calls } = fakeFetch({
      "/api/models": [
        unavailable(),
        new TypeError("Failed to fetch"),
        unavailable(),
        ok({ default: "tiny_vgg" }),
      ],
    });
    const http = createHttp({
      fetch,
      sleep: (seconds) => {
        events.push(`sleep ${seconds}`);
        return Promise.resolve();
      },
      onRetry: ({ attempt, waitSeconds, error }: RetryNotice) =>
        events.push(`retry ${attempt} in ${waitSeconds} (${error.status})`),
      onSettled: () => events.push("settled"),
    });
    expect(await http.json("/api/models")).toEqual({ default: "tiny_vgg" });
    expect(calls).toHaveLength(4);
    expect(events).toEqual([
      "retry 1 in 1 (503)",
      "sleep 1",
      "retry 2 in 2 (0)",
      "sleep 2",
      "retry 3 in 4 (503)",
      "sleep 4",
      "settled",
    ]);
  });

  it("honours Retry-After and keeps retrying past 30 attempts when asked to, never waiting over 10 s", async () => {
    const { fetch, calls } = fakeFetch({
      "/api/models": [...Array.from({ length: 50 }, () => unavailable("1")), ok()],
    });
    const waits: number[] = [];
    const http = createHttp({
      fetch,
      maxAttempts: Number.POSITIVE_INFINITY,
      sleep: (seconds) => {
        waits.push(seconds);
        return Promise.resolve();
      },
    });
    await http.json("/api/models");
    expect(calls).toHaveLength(51);
    expect(waits.slice(0, 6)).toEqual([1, 2, 4, 8, 10, 10]);
    expect(Math.max(...waits)).toBe(10);
  });

  it("waits at least a Retry-After longer than the backoff", async () => {
    const { fetch } = fakeFetch({ "/x": [unavailable("4"), ok()] });
    const waits: number[] = [];
    await createHttp({ fetch, sleep: (s) => (waits.push(s), Promise.resolve()) }).json("/x");
    expect(waits).toEqual([4]);
  });

  it("says it is over only when every waiting request has its answer", async () => {
    const { sleep, pending } = heldSleep();
    const settled = vi.fn();
    const { fetch } = fakeFetch({ "/a": [unavailable("3"), ok()], "/b": [unavailable("3"), ok()] });
    const http = createHttp({ fetch, sleep, onSettled: settled });
    const first = http.json("/a");
    const second = http.json("/b");
    await vi.waitFor(() => expect(pending).toHaveLength(2));
    expect(pending.map((wait) => wait.seconds)).toEqual([3, 3]);
    pending[0]?.wake();
    await first;
    await flush();
    expect(settled).not.toHaveBeenCalled(); // the second still waits for its retry
    pending[1]?.wake();
    await second;
    expect(settled).toHaveBeenCalledTimes(1);
  });

  it("does not retry an error that another try cannot fix, nor announce anything", async () => {
    const onRetry = vi.fn();
    const onSettled = vi.fn();
    const { fetch, calls } = fakeFetch({
      "/api/models": [errorResponse(404, "not_found", "No such model.")],
    });
    await expect(
      createHttp({ fetch, onRetry, onSettled }).json("/api/models"),
    ).rejects.toMatchObject({ status: 404, code: "not_found", message: "No such model." });
    expect(calls).toHaveLength(1);
    expect(onRetry).not.toHaveBeenCalled();
    expect(onSettled).not.toHaveBeenCalled();
  });

  it("gives up after maxAttempts with the last error, clearing the waiting state before the caller sees it", async () => {
    const events: string[] = [];
    const { fetch } = fakeFetch({
      "/x": [unavailable("1"), errorResponse(503, "unavailable", "still down")],
    });
    const http = createHttp({
      fetch,
      maxAttempts: 2,
      sleep: noWait,
      onSettled: () => events.push("settled"),
    });
    await http
      .json("/x")
      .catch((error: unknown) => events.push(`error ${(error as Error).message}`));
    expect(events).toEqual(["settled", "error still down"]);
  });

  it("sends a request that must not be repeated once, whatever happens", async () => {
    const { fetch, calls } = fakeFetch({ "/upload": [unavailable("1")] });
    const form = new FormData();
    form.append("file", new Blob(["zip"]), "d.zip");
    await expect(
      createHttp({ fetch, sleep: noWait }).json("/upload", { method: "POST", form, retry: false }),
    ).rejects.toMatchObject({ status: 503 });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.init.body).toBe(form);
  });

  it("sends the same body and headers with every attempt (an answer's idempotency key included)", async () => {
    const { fetch, calls } = fakeFetch({
      "/api/student/answers": [unavailable("1"), new TypeError("offline"), ok()],
    });
    const http = createHttp({
      fetch,
      sleep: noWait,
      headers: () => ({ Authorization: "Bearer t" }),
    });
    await http.json("/api/student/answers", {
      method: "POST",
      json: { submission_id: "abc", choice_index: 1 },
    });
    expect(calls.map((call) => call.init.body)).toEqual(
      Array(3).fill('{"submission_id":"abc","choice_index":1}'),
    );
    for (const call of calls) {
      expect(call.init.headers).toMatchObject({
        Authorization: "Bearer t",
        "Content-Type": "application/json",
        Accept: "application/json",
      });
      expect(call.init.credentials).toBe("same-origin");
    }
  });
});

describe("timeouts and abandoned requests", () => {
  it("counts an attempt with no answer in time as failed, and retries it", async () => {
    const notices: RetryNotice[] = [];
    const { fetch, calls } = fakeFetch({ "/slow": ["hang", ok()] });
    const http = createHttp({
      fetch,
      sleep: noWait,
      timeoutMs: 5,
      onRetry: (notice) => notices.push(notice),
    });
    await expect(http.json("/slow")).resolves.toEqual({ ok: true });
    expect(calls).toHaveLength(2);
    expect(notices[0]?.error).toMatchObject({ status: 0, code: "timeout" });
  });

  it("gives a timeout as an ApiError once the attempts are spent", async () => {
    const { fetch } = fakeFetch({ "/slow": ["hang"] });
    const error: unknown = await createHttp({ fetch, maxAttempts: 1, timeoutMs: 5 })
      .json("/slow")
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("timeout");
  });

  it("a request's own timeout wins over the client's", async () => {
    const { fetch } = fakeFetch({ "/upload": ["hang"] });
    const started = Date.now();
    await createHttp({ fetch, timeoutMs: 60_000 })
      .request("/upload", { timeoutMs: 5, retry: false })
      .catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("stops at once, without retrying, when the caller abandons the request", async () => {
    const { sleep, pending } = heldSleep();
    const { fetch, calls } = fakeFetch({ "/x": [unavailable("5"), ok()], "/y": ["hang"] });
    const http = createHttp({ fetch, sleep });
    const waiting = new AbortController();
    const retried = http.json("/x", { signal: waiting.signal });
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    waiting.abort(new Error("moved on"));
    await expect(retried).rejects.toThrow("moved on");
    const inFlight = new AbortController();
    const hanging = http.json("/y", { signal: inFlight.signal });
    inFlight.abort(new Error("gone"));
    await expect(hanging).rejects.toThrow("gone");
    expect(calls).toHaveLength(2);
  });
});

describe("bodies and answers", () => {
  it("returns undefined for 204 and sends raw bodies with their content type", async () => {
    const { fetch, calls } = fakeFetch({ "/import": [new Response(null, { status: 204 })] });
    await expect(
      createHttp({ fetch }).json("/import", {
        method: "POST",
        raw: { text: "key,form\n", contentType: "text/csv" },
      }),
    ).resolves.toBeUndefined();
    expect(calls[0]?.init.headers).toMatchObject({ "Content-Type": "text/csv" });
    expect(calls[0]?.init.body).toBe("key,form\n");
  });

  it("lets a request outlive the page when asked (keepalive)", async () => {
    const { fetch, calls } = fakeFetch({ "/events": [ok()] });
    await createHttp({ fetch }).request("/events", {
      method: "POST",
      json: { events: [] },
      keepalive: true,
    });
    expect(calls[0]?.init.keepalive).toBe(true);
  });

  it("reads bytes without asking for JSON", async () => {
    const { fetch, calls } = fakeFetch({ "/w": [new Response(new Uint8Array([1, 2, 3]))] });
    expect(new Uint8Array(await createHttp({ fetch }).bytes("/w"))).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    expect(calls[0]?.init.headers).not.toHaveProperty("Accept");
  });
});

describe("errors", () => {
  it("carries the service's code, message and Retry-After", async () => {
    const { fetch } = fakeFetch({
      "/x": [errorResponse(409, "phase_over", "The pre phase is over.", { "Retry-After": "7" })],
    });
    const error: unknown = await createHttp({ fetch })
      .json("/x", { method: "POST" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 409,
      code: "phase_over",
      message: "The pre phase is over.",
      retryAfter: 7,
    });
  });

  it("gives a plain message when the body is not the error shape (a proxy's page)", async () => {
    const { fetch } = fakeFetch({
      "/x": [new Response("<html>Bad gateway</html>", { status: 404 })],
      "/y": [new Response("{}", { status: 500 })],
    });
    const http = createHttp({ fetch });
    await expect(http.json("/x")).rejects.toMatchObject({
      status: 404,
      code: "http_404",
      message: "That was not found on the server.",
    });
    await expect(http.json("/y")).rejects.toMatchObject({
      code: "http_500",
      message: "The server answered with an error (500).",
    });
  });

  it("keeps a message that comes without a code", async () => {
    const { fetch } = fakeFetch({
      "/x": [new Response(JSON.stringify({ error: { message: "No." } }), { status: 403 })],
    });
    await expect(createHttp({ fetch }).json("/x")).rejects.toMatchObject({
      status: 403,
      code: "http_403",
      message: "No.",
    });
  });
});

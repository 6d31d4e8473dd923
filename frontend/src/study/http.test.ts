import { describe, expect, it } from "vitest";
import { ApiError, createHttp } from "./http";

function responses(...queue: (Response | Error)[]) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetchStub: typeof fetch = (input, init) => {
    calls.push({ url: input instanceof Request ? input.url : input.toString(), init });
    const next = queue.shift();
    if (next === undefined) throw new Error("no more responses");
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  return { calls, fetch: fetchStub };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

describe("study http", () => {
  it("retries a 503 after Retry-After and a network failure, sending the same body", async () => {
    const waits: number[] = [];
    const { calls, fetch } = responses(
      json(503, { error: { code: "study_unavailable", message: "down" } }, { "Retry-After": "4" }),
      new TypeError("Failed to fetch"),
      json(200, { ok: true }),
    );
    const http = createHttp({ fetch, sleep: (s) => { waits.push(s); return Promise.resolve(); }, headers: () => ({ Authorization: "Bearer t" }) });
    await expect(http.json("/api/student/answers", { method: "POST", body: { a: 1 } })).resolves.toEqual({ ok: true });
    expect(waits).toEqual([4, 3]);
    expect(calls.map((call) => call.init?.body)).toEqual(['{"a":1}', '{"a":1}', '{"a":1}']);
    expect((calls[0]?.init?.headers as Record<string, string>).Authorization).toBe("Bearer t");
  });

  it("gives a 4xx at once as an ApiError with the service's code and message", async () => {
    const { calls, fetch } = responses(json(409, { error: { code: "phase_over", message: "the pre phase is over" } }));
    const http = createHttp({ fetch, sleep: () => Promise.resolve() });
    const error: unknown = await http.json("/x", { method: "POST" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("phase_over");
    expect((error as ApiError).status).toBe(409);
    expect(calls).toHaveLength(1);
  });

  it("returns undefined for 204 and sends raw bodies with their content type", async () => {
    const { calls, fetch } = responses(new Response(null, { status: 204 }));
    const http = createHttp({ fetch });
    await expect(http.json("/import", { method: "POST", raw: { text: "key,form\n", contentType: "text/csv" } })).resolves.toBeUndefined();
    expect((calls[0]?.init?.headers as Record<string, string>)["Content-Type"]).toBe("text/csv");
    expect(calls[0]?.init?.body).toBe("key,form\n");
  });

  it("gives up after maxAttempts", async () => {
    const { fetch } = responses(new TypeError("x"), new TypeError("x"));
    const http = createHttp({ fetch, sleep: () => Promise.resolve(), maxAttempts: 2 });
    await expect(http.json("/y")).rejects.toMatchObject({ code: "network" });
  });
});

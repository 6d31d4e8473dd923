import { describe, expect, it } from "vitest";
import { createStudentApi, newSubmissionId } from "./student";

function recorder() {
  const sent: { url: string; init: RequestInit }[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    sent.push({ url: input as string, init: init ?? {} });
    return Promise.resolve(new Response(JSON.stringify({ stored: 1 })));
  };
  return { sent, fetch };
}

describe("the student's requests", () => {
  it("send the bearer token of the moment, and the answer with its idempotency key", async () => {
    const { sent, fetch } = recorder();
    let token: string | null = null;
    const api = createStudentApi(() => token, { fetch });
    await api.join("K7P2QX");
    token = "t1";
    const id = newSubmissionId();
    await api.answer(id, "pre", 4, 2);
    expect(sent[0]?.init.headers).not.toHaveProperty("Authorization");
    expect(sent[1]?.init.headers).toMatchObject({ Authorization: "Bearer t1" });
    expect(JSON.parse(sent[1]?.init.body as string)).toEqual({
      submission_id: id,
      phase: "pre",
      item_id: 4,
      choice_index: 2,
    });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("sends the last events on page hide as one keepalive request, at most 200, only when joined", async () => {
    const { sent, fetch } = recorder();
    let token: string | null = null;
    const api = createStudentApi(() => token, { fetch });
    const events = Array.from({ length: 250 }, (_, i) => ({
      kind: "k",
      client_time_ms: i,
      payload: {},
    }));
    api.eventsOnLeave(events);
    token = "t";
    api.eventsOnLeave([]);
    api.eventsOnLeave(events);
    await Promise.resolve();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.init).toMatchObject({ method: "POST", keepalive: true });
    expect((JSON.parse(sent[0]?.init.body as string) as { events: unknown[] }).events).toHaveLength(
      200,
    );
  });
});

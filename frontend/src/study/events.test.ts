import { describe, expect, it } from "vitest";
import type { StudyEvent } from "../api/student";
import { EventBatcher } from "./events";

function recorder(failFirst = 0) {
  const batches: StudyEvent[][] = [];
  let failures = failFirst;
  const send = (events: StudyEvent[]) => {
    if (failures > 0) {
      failures -= 1;
      return Promise.reject(new Error("offline"));
    }
    batches.push(events);
    return Promise.resolve();
  };
  return { batches, send };
}

describe("EventBatcher", () => {
  it("sends queued events in order, in batches of at most maxBatch", async () => {
    const { batches, send } = recorder();
    let now = 1000;
    const batcher = new EventBatcher(send, { maxBatch: 3, clock: () => (now += 1) });
    for (let i = 0; i < 7; i += 1) batcher.record("tick", { i });
    await batcher.flush();
    expect(batches.map((batch) => batch.length)).toEqual([3, 3, 1]);
    expect(batches.flat().map((event) => event.payload.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(batches.flat().map((event) => event.client_time_ms)).toEqual([
      1001, 1002, 1003, 1004, 1005, 1006, 1007,
    ]);
    expect(batcher.sent).toBe(7);
    expect(batcher.pending).toBe(0);
  });

  it("keeps a failed batch and sends it on the next flush, once", async () => {
    const { batches, send } = recorder(1);
    const batcher = new EventBatcher(send, { maxBatch: 10 });
    batcher.record("a");
    batcher.record("b");
    await batcher.flush();
    expect(batches).toEqual([]);
    expect(batcher.pending).toBe(2);
    batcher.record("c");
    await batcher.flush();
    expect(batches.map((batch) => batch.map((event) => event.kind))).toEqual([["a", "b", "c"]]);
    await batcher.flush();
    expect(batches).toHaveLength(1);
  });

  it("runs one request at a time when flushes overlap", async () => {
    let inFlight = 0;
    let most = 0;
    const send = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
    };
    const batcher = new EventBatcher(send, { maxBatch: 2 });
    for (let i = 0; i < 9; i += 1) batcher.record("x");
    await Promise.all([batcher.flush(), batcher.flush(), batcher.flush()]);
    expect(most).toBe(1);
    expect(batcher.sent).toBe(9);
  });

  it("drops the oldest events beyond maxQueued while offline", async () => {
    const { send } = recorder(100);
    const batcher = new EventBatcher(send, { maxBatch: 1000, maxQueued: 5 });
    for (let i = 0; i < 8; i += 1) batcher.record("x", { i });
    await batcher.flush();
    expect(batcher.dropped).toBe(3);
    expect(batcher.take().map((event) => event.payload.i)).toEqual([3, 4, 5, 6, 7]);
    expect(batcher.pending).toBe(0);
  });
});

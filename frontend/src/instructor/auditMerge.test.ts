import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../api/instructor";
import { mergeLogs } from "./auditMerge";

function entry(id: number, minute: number, action = "login"): AuditEntry {
  return {
    id,
    at: `2026-12-05T08:${String(minute).padStart(2, "0")}:00.250000+00:00`,
    actor_id: 1,
    actor: "teacher@school.example",
    action,
    target: null,
    client: "10.0.0.7",
    outcome: "ok",
    detail: {},
  };
}

const shown = (merged: ReturnType<typeof mergeLogs>) =>
  merged.entries.map((e) => `${e.log}:${String(e.id)}`);

describe("the merged audit logs", () => {
  it("orders both logs by time, newest first", () => {
    const merged = mergeLogs([
      { name: "Study", entries: [entry(3, 30), entry(2, 10)], hasMore: false },
      { name: "Studio", entries: [entry(9, 40), entry(8, 20)], hasMore: false },
    ]);
    expect(shown(merged)).toEqual(["Studio:9", "Study:3", "Studio:8", "Study:2"]);
    expect(merged.toLoad).toEqual([]);
  });

  it("stops where a log with older pages may still hold entries, and loads that one", () => {
    // The studio's first page reaches back to 08:40 only; the study's to 08:05.
    const studio = { name: "Studio", entries: [entry(9, 50), entry(8, 40)], hasMore: true };
    const study = { name: "Study", entries: [entry(3, 45), entry(2, 30), entry(1, 5)] };
    const first = mergeLogs([{ ...study, hasMore: true }, studio]);
    expect(shown(first)).toEqual(["Studio:9", "Study:3", "Studio:8"]);
    expect(first.toLoad).toEqual([1]);
    // The studio's next page: its entries take their places among the study's.
    const next = mergeLogs([
      { ...study, hasMore: true },
      { ...studio, entries: [...studio.entries, entry(7, 35), entry(6, 2)], hasMore: false },
    ]);
    expect(shown(next)).toEqual([
      "Studio:9",
      "Study:3",
      "Studio:8",
      "Studio:7",
      "Study:2",
      "Study:1",
    ]);
    expect(next.toLoad).toEqual([0]);
  });

  it("shows what a failed log has and lets the other go on", () => {
    const merged = mergeLogs([
      { name: "Study", entries: [entry(3, 30), entry(2, 10)], hasMore: true },
      { name: "Studio", entries: [], hasMore: false },
    ]);
    expect(shown(merged)).toEqual(["Study:3", "Study:2"]);
    expect(merged.toLoad).toEqual([0]);
  });

  it("keeps refusals as they are", () => {
    const refused = { ...entry(4, 12), outcome: "refused", actor_id: null };
    const merged = mergeLogs([{ name: "Study", entries: [refused], hasMore: false }]);
    expect(merged.entries[0]).toMatchObject({
      outcome: "refused",
      log: "Study",
      client: "10.0.0.7",
    });
  });
});

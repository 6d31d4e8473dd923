import { describe, expect, it } from "vitest";
import {
  ExplorerTracker,
  snapshotFromMessage,
  URL_STATE_MESSAGE,
  type ExplorerSnapshot,
} from "./explorerEvents";

const base: ExplorerSnapshot = { image: "example:val_1", scope: "unit", neuron: null };

describe("snapshotFromMessage", () => {
  it("reads the explorer's URL state", () => {
    const snapshot = snapshotFromMessage({
      type: URL_STATE_MESSAGE,
      state: {
        model: "tiny_vgg",
        version: 1,
        image: { kind: "example", id: "val_9" },
        scope: "module",
        neuron: { layer: "conv_1_1", index: 3 },
      },
    });
    expect(snapshot).toEqual({
      image: "example:val_9",
      scope: "module",
      neuron: { layer: "conv_1_1", index: 3 },
    });
  });

  it("shortens an upload's digest and ignores other messages", () => {
    const digest = "ab".repeat(32);
    expect(
      snapshotFromMessage({ type: URL_STATE_MESSAGE, state: { image: { kind: "digest", digest } } })
        ?.image,
    ).toBe(`upload:${digest.slice(0, 16)}`);
    expect(snapshotFromMessage({ type: "other", state: {} })).toBeNull();
    expect(snapshotFromMessage("hello")).toBeNull();
    expect(snapshotFromMessage(null)).toBeNull();
  });
});

describe("ExplorerTracker", () => {
  it("reports the first view and image, then clicks, view changes and time per view", () => {
    const tracker = new ExplorerTracker();
    expect(tracker.observe(base, 0)).toEqual([
      { kind: "explorer.view_opened", payload: { view: "overview" } },
      { kind: "explorer.image_changed", payload: { image: "example:val_1" } },
    ]);
    const opened = tracker.observe({ ...base, neuron: { layer: "conv_1_1", index: 2 } }, 4000);
    expect(opened).toEqual([
      { kind: "explorer.neuron_clicked", payload: { layer: "conv_1_1", index: 2 } },
      { kind: "explorer.view_time", payload: { view: "overview", ms: 4000 } },
      { kind: "explorer.view_opened", payload: { view: "intermediate:conv_1_1" } },
    ]);
    // Another neuron of the same layer: a click, but the same view.
    expect(tracker.observe({ ...base, neuron: { layer: "conv_1_1", index: 5 } }, 5000)).toEqual([
      { kind: "explorer.neuron_clicked", payload: { layer: "conv_1_1", index: 5 } },
    ]);
    expect(
      tracker.observe({ ...base, image: "example:val_2", scope: "global", neuron: null }, 7500),
    ).toEqual([
      { kind: "explorer.image_changed", payload: { image: "example:val_2" } },
      { kind: "explorer.scope_changed", payload: { scope: "global" } },
      { kind: "explorer.view_time", payload: { view: "intermediate:conv_1_1", ms: 3500 } },
      { kind: "explorer.view_opened", payload: { view: "overview" } },
    ]);
    expect(tracker.finish(9000)).toEqual([
      { kind: "explorer.view_time", payload: { view: "overview", ms: 1500 } },
    ]);
  });

  it("reports nothing for a repeated state and nothing to finish before the first", () => {
    const tracker = new ExplorerTracker();
    expect(tracker.finish(10)).toEqual([]);
    tracker.observe(base, 0);
    expect(tracker.observe({ ...base }, 100)).toEqual([]);
  });
});

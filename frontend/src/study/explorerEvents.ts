/**
 * What the embedded explorer reports (its URL state, posted on every change) turned into
 * study events: views opened, neurons clicked, images changed, colour scope changed, and the
 * time spent in each view. Pure, so the rules are tested without a browser.
 */

/** The message the explorer posts to its parent (see url/useUrlState.ts). */
export const URL_STATE_MESSAGE = "cnn101:url-state";

export interface ExplorerSnapshot {
  image: string | null;
  scope: string | null;
  neuron: { layer: string; index: number } | null;
}

export interface TrackedEvent {
  kind: string;
  payload: Record<string, unknown>;
}

/** The explorer's message, checked: anything else (another frame's message) is null. */
export function snapshotFromMessage(data: unknown): ExplorerSnapshot | null {
  if (typeof data !== "object" || data === null) return null;
  const message = data as { type?: unknown; state?: unknown };
  if (
    message.type !== URL_STATE_MESSAGE ||
    typeof message.state !== "object" ||
    message.state === null
  )
    return null;
  const state = message.state as { image?: unknown; scope?: unknown; neuron?: unknown };
  let image: string | null = null;
  if (typeof state.image === "object" && state.image !== null) {
    const ref = state.image as { kind?: unknown; id?: unknown; digest?: unknown };
    if (ref.kind === "example" && typeof ref.id === "string") image = `example:${ref.id}`;
    if (ref.kind === "digest" && typeof ref.digest === "string")
      image = `upload:${ref.digest.slice(0, 16)}`;
  }
  let neuron: ExplorerSnapshot["neuron"] = null;
  if (typeof state.neuron === "object" && state.neuron !== null) {
    const selected = state.neuron as { layer?: unknown; index?: unknown };
    if (typeof selected.layer === "string" && typeof selected.index === "number") {
      neuron = { layer: selected.layer, index: selected.index };
    }
  }
  return { image, scope: typeof state.scope === "string" ? state.scope : null, neuron };
}

/** The view a snapshot shows: the overview, or the intermediate view of one layer. */
export function viewOf(snapshot: ExplorerSnapshot): string {
  return snapshot.neuron === null ? "overview" : `intermediate:${snapshot.neuron.layer}`;
}

export class ExplorerTracker {
  private last: ExplorerSnapshot | null = null;
  private viewSince = 0;

  /** Events for a new snapshot at `nowMs` (monotonic). */
  observe(next: ExplorerSnapshot, nowMs: number): TrackedEvent[] {
    const previous = this.last;
    this.last = next;
    const events: TrackedEvent[] = [];
    if (previous === null) {
      this.viewSince = nowMs;
      events.push({ kind: "explorer.view_opened", payload: { view: viewOf(next) } });
      if (next.image !== null)
        events.push({ kind: "explorer.image_changed", payload: { image: next.image } });
      return events;
    }
    if (next.image !== previous.image && next.image !== null) {
      events.push({ kind: "explorer.image_changed", payload: { image: next.image } });
    }
    if (next.scope !== previous.scope)
      events.push({ kind: "explorer.scope_changed", payload: { scope: next.scope } });
    const neuronChanged =
      next.neuron !== null &&
      (previous.neuron === null ||
        previous.neuron.layer !== next.neuron.layer ||
        previous.neuron.index !== next.neuron.index);
    if (neuronChanged && next.neuron !== null) {
      events.push({
        kind: "explorer.neuron_clicked",
        payload: { layer: next.neuron.layer, index: next.neuron.index },
      });
    }
    if (viewOf(next) !== viewOf(previous)) {
      events.push(this.viewTime(previous, nowMs));
      this.viewSince = nowMs;
      events.push({ kind: "explorer.view_opened", payload: { view: viewOf(next) } });
    }
    return events;
  }

  /** The time in the current view so far (at the end of the phase or when the page hides). */
  finish(nowMs: number): TrackedEvent[] {
    if (this.last === null) return [];
    const event = this.viewTime(this.last, nowMs);
    this.viewSince = nowMs;
    return [event];
  }

  private viewTime(snapshot: ExplorerSnapshot, nowMs: number): TrackedEvent {
    return {
      kind: "explorer.view_time",
      payload: { view: viewOf(snapshot), ms: Math.max(0, Math.round(nowMs - this.viewSince)) },
    };
  }
}

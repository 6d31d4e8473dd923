/**
 * Interaction events, batched: recorded locally at once, sent every few seconds (or when a
 * batch is full) in order, one request at a time; a failed batch is kept and sent again.
 */
import type { StudyEvent } from "../api/student";

export type SendEvents = (events: StudyEvent[]) => Promise<unknown>;

export interface BatcherOptions {
  /** At most this many per request (the service accepts 200). */
  maxBatch?: number;
  /** Events kept while the service is unreachable; the oldest are dropped beyond this. */
  maxQueued?: number;
  clock?: () => number;
}

export class EventBatcher {
  private queue: StudyEvent[] = [];
  private sending: Promise<void> | null = null;
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  private readonly clock: () => number;
  /** Events the service acknowledged, for the page and tests. */
  sent = 0;
  dropped = 0;

  constructor(
    private readonly send: SendEvents,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 100;
    this.maxQueued = options.maxQueued ?? 2000;
    this.clock = options.clock ?? (() => Date.now());
  }

  get pending(): number {
    return this.queue.length;
  }

  record(kind: string, payload: Record<string, unknown> = {}): void {
    this.queue.push({ kind, client_time_ms: Math.round(this.clock()), payload });
    if (this.queue.length > this.maxQueued) {
      const excess = this.queue.length - this.maxQueued;
      this.queue.splice(0, excess);
      this.dropped += excess;
    }
    if (this.queue.length >= this.maxBatch) void this.flush();
  }

  /** Sends what is queued, batch by batch; resolves when done or when a batch failed. */
  flush(): Promise<void> {
    this.sending ??= this.drain().finally(() => {
      this.sending = null;
    });
    return this.sending;
  }

  /** Everything queued, removed from the queue (for a last keepalive request on page hide). */
  take(): StudyEvent[] {
    return this.queue.splice(0, this.queue.length);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.maxBatch);
      try {
        await this.send(batch);
      } catch {
        return; // kept in the queue: the next flush sends it again
      }
      this.queue.splice(0, batch.length);
      this.sent += batch.length;
    }
  }
}

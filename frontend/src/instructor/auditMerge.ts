/**
 * The study's and the studio's audit logs read page by page, shown as one list by time.
 *
 * Each log is paged newest first on its own. Shown together, an entry of one log older than
 * the oldest loaded entry of another log that has more pages could be shown before entries
 * of that log not loaded yet; so the merged list stops at the newest of those frontiers,
 * and "Older" loads the log(s) that hold it back. A log that failed holds nothing back.
 */
import type { AuditEntry } from "../api/instructor";

export interface LoadedLog {
  /** Shown in the list ("Study", "Model studio"). */
  name: string;
  /** The pages loaded so far, in order: newest entries first. */
  entries: readonly AuditEntry[];
  /** The server has older entries, and reading them has not failed. */
  hasMore: boolean;
}

export interface ShownEntry extends AuditEntry {
  log: string;
}

export interface MergedLogs {
  /** Every entry that can be placed for certain, newest first. */
  entries: ShownEntry[];
  /** The logs (indexes) whose next page "Older" should load; empty: nothing older. */
  toLoad: number[];
}

function timeOf(at: string): number {
  const time = Date.parse(at);
  return Number.isNaN(time) ? 0 : time;
}

export function mergeLogs(logs: readonly LoadedLog[]): MergedLogs {
  const frontiers = logs.map((log) => {
    const oldest = log.entries.at(-1);
    return log.hasMore && oldest ? timeOf(oldest.at) : null;
  });
  const known = frontiers.filter((time): time is number => time !== null);
  const cutoff = known.length ? Math.max(...known) : null;
  const entries = logs
    .flatMap((log, index) =>
      log.entries.map((entry) => ({ entry: { ...entry, log: log.name }, index })),
    )
    .filter(({ entry }) => cutoff === null || timeOf(entry.at) >= cutoff)
    .sort(
      (a, b) =>
        timeOf(b.entry.at) - timeOf(a.entry.at) || a.index - b.index || b.entry.id - a.entry.id,
    )
    .map(({ entry }) => entry);
  const toLoad = frontiers.flatMap((time, index) =>
    time !== null && time === cutoff ? [index] : [],
  );
  return { entries, toLoad };
}
